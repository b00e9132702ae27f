"""The end-to-end demo behind `make demo`.

Runs the real `governance` CLI, step by step, on the two samples:

1. a development signing key; the policy packs linted and unit-tested;
2. the Adult sample's training pipeline recorded as OpenLineage events (lineage ingest), and a
   signed checkpoint of the audit log, which the reports embed;
3. the gate on the Adult baseline model (blocked by the four-fifths rule) and on the mitigated
   one (passes fairness and lineage-completeness rules), each recorded in the audit store and
   reported as a signed PDF/A with its in-toto attestation;
4. what drives the baseline model: SHAP evidence, proxies for sex; then the baseline after
   deployment: its generated production log monitored week by week (`governance monitor`),
   which flags the shift among women in the first week after it and in no week before, a
   re-run that records nothing new, and the signed post-market monitoring report;
5. the mitigated model with a waiver of its remaining warning (waived) and with the same waiver
   expired (blocks);
6. the German-credit sample under the fair-lending pack (blocked: a group is too small to tell);
7. the auditor's side: the model's upstream lineage, a signed checkpoint of the audit log, the
   chain and every report verified.

Everything is written under --out (default out/demo/), which is recreated on each run.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent
REPO = SAMPLE.parent.parent
GERMAN = REPO / "samples" / "german-credit"
POLICIES = REPO / "policies"
FAIRNESS = POLICIES / "fairness-baseline.yaml"
LINEAGE = POLICIES / "lineage-completeness.yaml"
EXPLAINABILITY = POLICIES / "explainability.yaml"
FAIR_LENDING = POLICIES / "fair-lending.yaml"
MODEL_NODE = "dataset:file:samples/adult-income/models/mitigated.skops"
WORDS = {0: "PASSED", 1: "BLOCKED"}


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass
class Demo:
    """The demo's environment, and what it found on the way."""

    out: Path
    env: dict[str, str]
    failures: list[str] = field(default_factory=list)
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)

    def run(self, *args: str, capture: Path | None = None) -> int:
        """Run `governance ARGS`, showing the command as a user would type it."""
        print(f"\n$ governance {shlex.join(args)}", flush=True)
        command = [sys.executable, "-m", "governance", *args]
        if capture is None:
            return subprocess.run(command, env=self.env, check=False).returncode
        with capture.open("w", encoding="utf-8") as handle:
            return subprocess.run(command, env=self.env, stdout=handle, check=False).returncode

    def expect(self, what: str, code: int, expected: int) -> None:
        """Record a step whose exit code differs from the expected one."""
        if code != expected:
            self.failures.append(f"{what}: exit {code}, expected {expected}")

    def check(self, name: str, manifest: Path, *args: str, expected: int, report: bool) -> int:
        """The gate on a manifest; with a signed PDF report when `report`."""
        extra: list[str] = []
        if report:
            pdf = self.out / "reports" / f"{name.replace(' ', '-')}.pdf"
            self.reports.append(pdf)
            extra = ["--report", rel(pdf)]
        code = self.run("check", rel(manifest), *args, *extra)
        self.expect(name, code, expected)
        detail = f"report: {rel(self.reports[-1])}" if report else ""
        self.rows.append((name, WORDS.get(code, f"exit {code}"), detail))
        return code


def setup(demo: Demo) -> None:
    if demo.run("keys", "init", "--dir", rel(demo.out / "keys")) != 0:
        raise SystemExit(3)
    demo.env["GOVERNANCE_SIGNING_KEY"] = rel(demo.out / "keys" / "governance-dev-key.pem")
    demo.env["GOVERNANCE_SIGNING_CERT"] = rel(demo.out / "keys" / "governance-dev-cert.pem")
    for step in ("lint", "test"):
        demo.expect(f"policy {step}", demo.run("policy", step, rel(POLICIES)), 0)
    demo.expect("lineage ingest", demo.run("lineage", "ingest", rel(SAMPLE / "lineage")), 0)
    # a signed checkpoint before any evaluation: every report embeds the latest one
    first = rel(demo.out / "checkpoint-before-evaluations.json")
    demo.expect("audit checkpoint", demo.run("audit", "checkpoint", "-o", first), 0)


def adult(demo: Demo) -> None:
    fairness = ["--policy", rel(FAIRNESS)]
    demo.check(
        "adult-income baseline", SAMPLE / "baseline.yaml", *fairness, expected=1, report=True
    )
    demo.check(
        "adult-income mitigated",
        SAMPLE / "mitigated.yaml",
        *fairness,
        "--policy",
        rel(LINEAGE),
        expected=0,
        report=True,
    )
    demo.check(
        "adult-income baseline, explained",
        SAMPLE / "baseline.yaml",
        "--policy",
        rel(EXPLAINABILITY),
        expected=1,
        report=False,
    )
    for label, waivers, expected in (
        ("waiver", "waivers.yaml", 0),
        ("expired waiver", "waivers-expired.yaml", 1),
    ):
        record = demo.out / f"mitigated-{waivers.removesuffix('.yaml')}.json"
        code = demo.run(
            "check",
            rel(SAMPLE / "mitigated.yaml"),
            *fairness,
            "--waivers",
            rel(SAMPLE / waivers),
            "--format",
            "text",
            "--format",
            f"json={rel(record)}",
        )
        demo.expect(f"mitigated with {label}", code, expected)
        found = json.loads(record.read_text())["waivers"] if record.exists() else []
        statuses = ", ".join(f"{w['rule_id']} {w['status']}" for w in found) or "no record"
        demo.rows.append((f"adult-income mitigated, {label}", WORDS.get(code, "?"), statuses))


def monitor(demo: Demo) -> None:
    """The baseline model after deployment: its production log, week by week."""
    log = demo.out / "production-log.csv.gz"
    script = rel(SAMPLE / "make_production_log.py")
    print(f"\n$ python {script} --out {rel(log)}", flush=True)
    subprocess.run([sys.executable, script, "--out", rel(log)], env=demo.env, check=True)
    args = ["monitor", rel(SAMPLE / "baseline.yaml"), "--policy", rel(SAMPLE / "monitoring.yaml")]
    args += ["--log", rel(log)]
    demo.expect("monitor", demo.run(*args), 1)
    record = demo.out / "monitor.json"
    demo.expect("monitor, again", demo.run(*args, "--format", "json", capture=record), 1)
    windows = json.loads(record.read_text(encoding="utf-8"))["windows"] if record.exists() else []
    failed = [w["window_start"][:10] for w in windows if w["verdict"] == "failed"]
    new = sum(w["status"] != "unchanged" for w in windows)
    if not failed or failed[0] != "2026-02-16" or new:
        demo.failures.append(f"monitor: first failing week {failed[:1]}, re-run recorded {new}")
    first = failed[0] if failed else "none"
    pdf = demo.out / "reports" / "adult-income-monitoring.pdf"
    baseline = json.loads(record.read_text(encoding="utf-8"))["baseline"] if record.exists() else ""
    code = demo.run("report", baseline, "--monitoring", "-o", rel(pdf))
    demo.expect("monitoring report", code, 0)
    demo.reports.append(pdf)
    detail = (
        f"{len(windows)} weeks; first failing {first}; re-run recorded {new}; report: {rel(pdf)}"
    )
    demo.rows.append(("adult-income baseline, monitored", "ALARM" if failed else "quiet", detail))


def german(demo: Demo) -> None:
    demo.check(
        "german-credit",
        GERMAN / "credit-model.yaml",
        "--policy",
        rel(FAIR_LENDING),
        "--policy",
        rel(GERMAN / "policy.yaml"),
        expected=1,
        report=True,
    )


def auditor(demo: Demo) -> None:
    demo.expect("lineage upstream", demo.run("lineage", "upstream", MODEL_NODE), 0)
    checkpoint = demo.out / "checkpoint.json"
    demo.expect("audit checkpoint", demo.run("audit", "checkpoint", "-o", rel(checkpoint)), 0)
    demo.expect("audit verify", demo.run("audit", "verify", "--checkpoint", rel(checkpoint)), 0)
    trust = rel(demo.out / "keys" / "governance-dev-cert.pem")
    for report in demo.reports:
        attestation = report.with_suffix(".intoto.json")
        code = demo.run(
            "verify",
            rel(report),
            "--trust-root",
            trust,
            "--attestation",
            rel(attestation),
            "--store",
            demo.env["GOVERNANCE_STORE_URL"],
        )
        demo.expect(f"verify {rel(report)}", code, 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/demo"))
    out = parser.parse_args().out
    if out.exists():
        shutil.rmtree(out)
    (out / "reports").mkdir(parents=True)
    store = f"sqlite:///{rel(out / 'audit.db')}"
    demo = Demo(out=out, env={**os.environ, "GOVERNANCE_STORE_URL": store})
    for step in (setup, adult, monitor, german, auditor):
        step(demo)

    events = out / "events.json"
    demo.run("audit", "log", "--kind", "openlineage.event", "--format", "json", capture=events)
    count = len(json.loads(events.read_text(encoding="utf-8")))
    print("\nSummary")
    width = max(len(row[0]) for row in demo.rows)
    for name, word, detail in demo.rows:
        print(f"  {name:<{width}}  {word:<8} {detail}")
    print(f"  audit store: {store} (signed checkpoint: {rel(out / 'checkpoint.json')})")
    print(f"  OpenLineage events: {count}, in {rel(events)}")
    print(f"  development key: {rel(out / 'keys')}")
    if demo.failures:
        print("\nDemo FAILED: " + "; ".join(demo.failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
