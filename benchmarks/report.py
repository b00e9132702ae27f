"""A 10-page signed report: render + sign under 2 s; the peer is WeasyPrint alone on the same HTML.

Measures, in one process after a warm-up (imports and font loading excluded, as a long-lived
service or a CI job rendering several reports sees it), the median of ROUNDS runs of:

- peer: WeasyPrint laying out the report's HTML to a plain PDF (no PDF/A, no attachments);
- ours, step by step: Jinja2 HTML, PDF/A-3b layout with the two attachments, the PAdES
  signature, the two DSSE attestations;
- ours end to end: ``render_pdf`` (everything above, plus the atomic write of both files).

The ratio ours/peer is the overhead of archiving, signing and attesting on top of layout.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from governance.keys import load_signing_material  # noqa: E402
from governance.reporting import init_dev_keys, render_pdf  # noqa: E402
from governance.reporting.attest import (  # noqa: E402
    build_predicate,
    build_statement,
    record_subjects,
    report_subject,
    sign_statement,
)
from governance.reporting.fetcher import make_url_fetcher  # noqa: E402
from governance.reporting.issue import record_json  # noqa: E402
from governance.reporting.render import DEFAULT_TEMPLATES, html_to_pdf, render_html  # noqa: E402
from governance.reporting.sign import sign_pdf  # noqa: E402
from governance.reporting.view import Attachment  # noqa: E402
from tests.reporting.conftest import CHECKPOINT, make_full_record  # noqa: E402

ROUNDS = 5
BUDGET_SECONDS = 2.0


def timed(function: Callable[[], object]) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of ROUNDS calls, after one warm-up call."""
    function()
    wall, cpu = [], []
    for _ in range(ROUNDS):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> int:
    import weasyprint

    base = json.loads((REPO / "tests" / "reporting" / "evaluation.json").read_text())
    record = make_full_record(base)
    work = Path(tempfile.mkdtemp(prefix="bench-report-"))
    keys = init_dev_keys(work / "keys")
    material = load_signing_material(keys)
    attachments = [Attachment("evaluation.json", "record", record_json(record), "application/json")]
    html = render_html(record, checkpoint=CHECKPOINT, attachments=attachments)
    fetcher = make_url_fetcher(DEFAULT_TEMPLATES)

    def peer() -> bytes:
        document = weasyprint.HTML(
            string=html, base_url=DEFAULT_TEMPLATES.as_uri() + "/", url_fetcher=fetcher
        )
        pdf: bytes = document.write_pdf()
        return pdf

    pdf = html_to_pdf(html, attachments=attachments)
    pages = len(
        weasyprint.HTML(string=html, base_url=DEFAULT_TEMPLATES.as_uri() + "/", url_fetcher=fetcher)
        .render()
        .pages
    )

    def sign() -> None:
        sign_pdf(pdf, io.BytesIO(), keys)

    def attest() -> None:
        subjects = record_subjects(record, record_json(record))
        predicate = build_predicate(record, CHECKPOINT)
        sign_statement(build_statement(subjects, predicate), material)
        sign_statement(
            build_statement([report_subject("r.pdf", pdf), *subjects], predicate), material
        )

    rows = [
        ("peer: WeasyPrint alone, plain PDF", timed(peer)),
        ("ours: Jinja2 HTML", timed(lambda: render_html(record, checkpoint=CHECKPOINT))),
        (
            "ours: layout PDF/A-3b + attachments",
            timed(lambda: html_to_pdf(html, attachments=attachments)),
        ),
        ("ours: PAdES signature", timed(sign)),
        ("ours: two DSSE attestations", timed(attest)),
        (
            "ours: render_pdf end to end (signed)",
            timed(
                lambda: render_pdf(record, work / "report.pdf", signing=keys, checkpoint=CHECKPOINT)
            ),
        ),
    ]
    peer_seconds, peer_cpu = rows[0][1]
    total, total_cpu = rows[-1][1]
    print(f"{pages}-page report, median of {ROUNDS} runs after a warm-up")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs\n")
    print(f"{'step':<42} {'wall s':>7} {'x peer':>7} {'cpu s':>7} {'x peer':>7}")
    for label, (seconds, cpu) in rows:
        print(
            f"{label:<42} {seconds:>7.3f} {seconds / peer_seconds:>7.2f} "
            f"{cpu:>7.3f} {cpu / peer_cpu:>7.2f}"
        )
    print(
        f"\nsigning, archiving and attesting add {total - peer_seconds:.3f} s wall, "
        f"{total_cpu - peer_cpu:.3f} s CPU ({total_cpu / peer_cpu:.2f}x WeasyPrint alone in CPU)"
    )
    cpus = os.cpu_count() or 1
    busy = os.getloadavg()[0] > cpus
    seconds = total_cpu if busy else total
    measure = "CPU" if busy else "wall"
    verdict = "meets" if seconds < BUDGET_SECONDS else "MISSES"
    print(f"render + sign: {total:.3f} s wall, {total_cpu:.3f} s CPU")
    if busy:
        print(
            f"the machine is busy (load {os.getloadavg()[0]:.1f} on {cpus} CPUs): judged on CPU "
            "time, as wall time measures the other processes; rerun idle for wall time"
        )
    print(f"{verdict} the {BUDGET_SECONDS:.0f} s budget ({measure} time)")
    return 0 if seconds < BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
