"""``governance report --monitoring``: the signed post-market monitoring report of a period.

The adult-income sample is monitored over four weeks around the shift injected into women's
hours from 2026-02-16 (two weeks before it, two after), so that the report has passing and
failing windows, an incident and drift per group.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from governance.reporting.archive import embedded_files
from governance.reporting.monitoring_view import monitoring_view
from tests.conftest import DEVELOPER_ENV, REPO, SAMPLE, CliRun

TEMPLATES = REPO / "report_templates"
SHIFT = "no-drift-within-sex"


@dataclass(frozen=True)
class Monitored:
    store: str
    db: Path
    baseline: str
    windows: list[dict[str, Any]]


def _cli(*args: object) -> tuple[int, str]:
    """Run the CLI outside a test's capture (for a module-scoped fixture): exit code, stdout."""
    from governance.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            return (exc.code if isinstance(exc.code, int) else 1), out.getvalue()
    return 0, out.getvalue()


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitored]:
    """The sample checked by the gate, then monitored from 2026-02-02 to 2026-03-02."""
    folder = tmp_path_factory.mktemp("monitored")
    spec = importlib.util.spec_from_file_location(
        "make_production_log", SAMPLE / "make_production_log.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    log = folder / "production-log.csv.gz"
    module.write_log(module.build_log(), log)
    db = folder / "audit.db"
    store = f"sqlite:///{db}"
    manifest = SAMPLE / "baseline.yaml"
    with pytest.MonkeyPatch.context() as patch:
        for name in DEVELOPER_ENV:
            patch.delenv(name, raising=False)
        code, _ = _cli("check", manifest, "-p", "pack:fairness-baseline", "--store", store)
        assert code in (0, 1)
        code, printed = _cli(
            "monitor", manifest, "-p", SAMPLE / "monitoring.yaml", "--log", log,
            "--store", store, "--since", "2026-02-02", "--until", "2026-03-02",
            "--format", "json",
        )  # fmt: skip
        assert code == 1
    result = json.loads(printed)
    yield Monitored(store, db, result["baseline"], result["windows"])


@pytest.fixture
def keys(dev_keys: Any) -> tuple[object, ...]:
    return ("--signing-key", dev_keys.key, "--signing-cert", dev_keys.cert)


def _report(run_cli: CliRun, monitored: Monitored, out: Path, *extra: object) -> Any:
    return run_cli(
        "report", "--monitoring", "--store", monitored.store, "--templates", TEMPLATES,
        "-o", out, *extra,
    )  # fmt: skip


def test_the_report_of_the_period_renders_verifies_and_shows_the_incident(
    run_cli: CliRun, monitored: Monitored, keys: tuple[object, ...], dev_keys: Any,
    tmp_path: Path, pdf_text: Any,
) -> None:  # fmt: skip
    assert [w["window_start"][:10] for w in monitored.windows] == [
        "2026-02-02", "2026-02-09", "2026-02-16", "2026-02-23",
    ]  # fmt: skip
    out = tmp_path / "monitoring.pdf"
    result = _report(run_cli, monitored, out, "latest", *keys)
    assert result.exit_code == 0, result.stderr
    verified = run_cli(
        "verify", out, "--trust-root", dev_keys.cert, "--attestation",
        tmp_path / "monitoring.intoto.json", "--store", monitored.store,
    )  # fmt: skip
    assert verified.exit_code == 0, verified.stdout + verified.stderr
    assert monitored.baseline in verified.stdout

    text = pdf_text(out)
    assert "ALARMS RAISED" in text
    assert "4 windows monitored, 2 failing" in text
    assert f"Trend of adult-income-monitoring/{SHIFT} per window" in text
    assert "in Female by sex" in text  # the incident: what happened, and to whom
    assert "Female (by sex) in hours-per-week" in text
    assert "Art. 73" in text
    for window in monitored.windows:
        assert window["evaluation_id"] in text

    files = embedded_files(out.read_bytes())
    assert json.loads(files["evaluation.json"])["evaluation_id"] == monitored.baseline
    attached = json.loads(files["monitoring-windows.json"])
    assert [r["evaluation_id"] for r in attached] == [w["evaluation_id"] for w in monitored.windows]
    statement = json.loads(
        __import__("base64").b64decode(
            json.loads((tmp_path / "monitoring.intoto.json").read_text())["payload"]
        )
    )
    roles = {s["annotations"]["role"] for s in statement["subject"]}
    assert {"report", "evaluation", "monitoring-windows"} <= roles
    assert statement["predicate"]["monitoring"]["failingWindows"] == 2


def test_a_period_before_the_shift_raises_no_alarm(
    run_cli: CliRun, monitored: Monitored, tmp_path: Path, pdf_text: Any
) -> None:
    out = tmp_path / "before.pdf"
    result = _report(
        run_cli, monitored, out, monitored.baseline, "--no-sign", "--until", "2026-02-16"
    )
    assert result.exit_code == 0, result.stderr
    text = pdf_text(out)
    assert "NO ALARM" in text
    assert "2 windows monitored, 0 failing" in text
    assert "No window failed a rule of high severity" in text
    assert monitored.windows[2]["evaluation_id"] not in text


@pytest.mark.parametrize(
    ("ref", "extra", "expected"),
    [
        ("0000-no-such-evaluation", (), "0000-no-such-evaluation"),
        (None, ("--since", "2027-01-01"), "no monitored window of baseline"),
        ("window", (), "is a monitored window, not a gate evaluation"),
        (None, ("--since", "last tuesday"), "since"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    run_cli: CliRun, monitored: Monitored, tmp_path: Path,
    ref: str | None, extra: tuple[str, ...], expected: str,
) -> None:  # fmt: skip
    if ref is None:
        ref = monitored.baseline
    elif ref == "window":
        ref = monitored.windows[0]["evaluation_id"]
    out = tmp_path / "report.pdf"
    result = _report(run_cli, monitored, out, ref, "--no-sign", *extra)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # the error, and its hint
    assert list(tmp_path.iterdir()) == []


def test_verify_finds_windows_other_than_the_store_or_the_attestation_holds(
    monitored: Monitored, tmp_path: Path, dev_keys: Any
) -> None:
    from cryptography import x509

    from governance.audit import AuditStore
    from governance.monitor.run import Ledger
    from governance.reporting.evidence import WINDOWS_NOT_STORED, check_evidence
    from governance.reporting.monitoring import render_monitoring_pdf
    from governance.reporting.monitoring_view import latest_windows
    from governance.reports import monitored_baseline

    with AuditStore.open(monitored.store, create=False) as store:
        baseline = monitored_baseline(store, monitored.baseline)
        windows = latest_windows(list(Ledger.read(store, monitored.baseline).windows.values()))
        forged = [dict(w) for w in windows]
        forged[2] = {**forged[2], "verdict": "passed"}  # the failing window, made to pass
        out = tmp_path / "forged.pdf"
        render_monitoring_pdf(baseline, forged, out, templates=TEMPLATES, signing=dev_keys)
        honest = tmp_path / "honest.pdf"
        render_monitoring_pdf(baseline, windows, honest, templates=TEMPLATES, signing=dev_keys)
        cert = x509.load_pem_x509_certificate(Path(dev_keys.cert).read_bytes())
        found = check_evidence(out.read_bytes(), cert, store=store).problems
        assert found == [WINDOWS_NOT_STORED.format(id=windows[2]["evaluation_id"])]
        assert check_evidence(honest.read_bytes(), cert, store=store).problems == []
    forged_attestation = (tmp_path / "forged.intoto.json").read_bytes()
    found = check_evidence(honest.read_bytes(), cert, detached=forged_attestation).problems
    assert any(
        p.startswith("the detached attestation names other monitored windows") for p in found
    )


def _window(start: str, outcome: str, severity: str, measured: float) -> dict[str, Any]:
    return {
        "evaluation_id": f"w-{start}",
        "verdict": "failed" if outcome == "fail" else "passed",
        "finished_at": "2026-03-01T00:00:00Z",
        "model": {"name": "m", "version": "1"},
        "tool": {"name": "governance", "version": "0"},
        "monitoring": {"window_start": start, "window_end": start, "rows": 10, "log": "l"},
        "findings": [
            {
                "policy": "p", "rule_id": "r", "severity": severity, "outcome": outcome,
                "measured": measured, "threshold": {"min": 0.8, "max": None},
                "check": "performance.metric", "evidence": {"interval": [0.7, 0.9]},
            }
        ],
    }  # fmt: skip


def test_only_a_failed_rule_of_high_severity_or_above_is_an_incident() -> None:
    baseline = {"evaluation_id": "b", "verdict": "passed"}
    windows = [
        _window("2026-01-01", "pass", "critical", 0.9),
        _window("2026-01-02", "fail", "medium", 0.5),
        _window("2026-01-03", "fail", "critical", 0.4),
    ]
    view = monitoring_view(
        baseline, windows, since=None, until=None, baseline_digest="sha256:0", draw=False
    )
    assert [i["window_start"] for i in view["incidents"]] == ["2026-01-03"]
    assert view["incidents"][0]["baseline"] == "b"
    assert view["failing"] == 2 and view["verdict"] == "alarms raised"
    assert [p["interval"] for p in view["rules"][0]["points"]] == [[0.7, 0.9]] * 3
