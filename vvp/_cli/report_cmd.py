"""``vvp report RECORD -o report.html``: a forensic record as one self-contained HTML page.

What is rendered, and why a broken record is refused rather than rendered:

* a record whose **integrity** fails (not canonical, wrong media type, a blob or the id not matching)
  is refused with exit 6 and no page is written. Such a file is not what any verifier wrote, and a
  polished page made from it would lend it an authority it does not have; ``vvp reverify`` says
  what is wrong with it;
* an intact record whose **signature** does not verify is rendered, with a banner saying so on the
  page, and exits 6: the page shows exactly what the record claims, and the exit code and the
  banner make sure nobody mistakes it for a sound one;
* an intact, signed record whose verdict does **not reproduce** offline is rendered with a
  banner and the differences, and exits 5 (as ``vvp reverify`` would);
* otherwise the page is written and the exit code is 0, whatever the call's verdict: the report is
  a document about the verdict, not the verdict itself.

Exit 4: the record cannot be read, or the page cannot be written (``REPORT_WRITE_FAILED``).
One line on stderr says what was written.
"""

from __future__ import annotations

import argparse

from vvp._cli.output import fail_line, human
from vvp._cli.common import load_record_arg, record_source
from vvp.record import RecordBroken
from vvp.report import build_report, render_html, write_report
from vvp.verdict import ExitCode


HELP = "render a record as a self-contained HTML audit report"
EXIT_CODES = ("exit codes: 0 written, 2 usage error, 4 cannot read the record or write the page, "
              "5 written but the verdict does not reproduce, 6 the record's integrity or signature fails")


def add_arguments(p: argparse.ArgumentParser) -> None:
    record_source(p)
    p.add_argument("-o", "--output", metavar="report.html", required=True, help="where to write the page")
    p.add_argument("--write-through", action="store_true",
                   help="let -o follow a symlink or write into a device (default: refused)")


def run(args: argparse.Namespace) -> int:
    try:
        rec = load_record_arg(args)
    except RecordBroken as ex:
        fail_line(f"{ex.code}: {ex.message}")
        fail_line("the record's integrity fails, so no report was written (run `vvp reverify` for details)")
        return int(ExitCode.RECORD_BROKEN)
    rep = build_report(rec)
    out = write_report(render_html(rep), args.output, write_through=args.write_through)
    status = rep.verdict.get("status")
    if not rep.signature_ok:
        sig = rep.check.signature
        fail_line(f"{sig.code if sig is not None else rep.check.code}: the record's signature does not verify; "
                  f"the report {out} says so on its first line")
        return int(ExitCode.RECORD_BROKEN)
    if rep.check.reproduced is False:
        fail_line(f"{rep.check.code}: the recorded verdict does not reproduce offline; the report {out} shows "
                  "the differences")
        return int(ExitCode.NOT_REPRODUCED)
    human(f"report written to {out} (record {rec.id}, verdict {status})")
    return int(ExitCode.VALID)
