"""``vvp batch``: verify call logs after the fact (architecture §1 "regulator", §4.6, §5 "Batch").

The modules, in the order a row meets them:

* :mod:`vvp.batch.rows`: the inputs (JSON Lines, CSV, a folder of SIP requests), read strictly;
* :mod:`vvp.batch.partition`: which worker takes a row (its dossier, for a warm cache);
* :mod:`vvp.batch.engines`: where batches run (this process, local processes, Dask);
* :mod:`vvp.batch.work`: the per-partition code every engine runs (verify, record, store);
* :mod:`vvp.batch.outputs`: ``verdicts.jsonl`` (resumable, never a torn line), ``errors.jsonl``;
* :mod:`vvp.batch.progress`: progress on stderr;
* :mod:`vvp.batch.summary`: ``summary.html``;
* :mod:`vvp.batch.runner`: one run, end to end (:func:`~vvp.batch.runner.run_batch`).

Nothing is imported here, so a Dask worker that unpickles :func:`vvp.batch.work.process` loads
only what it needs.
"""
