"""``vvp serve``: the verification service (architecture §1, §4.5, §5 "Service", §6).

* :mod:`vvp.service.models`: request and response bodies (pydantic), the JSON Schemas and the
  OpenAPI document generated from them;
* :mod:`vvp.service.app`: the Starlette application and its endpoints;
* :mod:`vvp.service.worker`: one worker process's Verifier, keystore, store, threads, admission;
* :mod:`vvp.service.commit`: group commit of records (one writer thread per worker);
* :mod:`vvp.service.deadline`: the per-request deadline, enforced at fetches;
* :mod:`vvp.service.metrics`, :mod:`vvp.service.accesslog`: Prometheus metrics, JSON access logs;
* :mod:`vvp.service.runner`: checks in the parent, then uvicorn with N workers.
"""
