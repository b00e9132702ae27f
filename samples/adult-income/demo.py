"""The end-to-end demo behind `make demo`.

Runs the real `governance` CLI, step by step, on the Adult income sample: a development signing
key, the policy packs linted and unit-tested, the gate on the baseline model (blocked) and on the
mitigated one (passes), each recorded in an audit store and reported as a signed PDF; then the
mitigated model with a waiver of its remaining warning (the finding shows as waived) and with the
same waiver expired (the gate blocks); then the audit chain and the reports verified.
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
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent
REPO = SAMPLE.parent.parent
POLICY = REPO / "policies" / "fairness-baseline.yaml"
EXPECTED = {"baseline": 1, "mitigated": 0}
WAIVERS = {"waiver": ("waivers.yaml", 0), "expired waiver": ("waivers-expired.yaml", 1)}


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def governance(*args: str, env: dict[str, str], capture: Path | None = None) -> int:
    print(f"\n$ governance {shlex.join(args)}", flush=True)
    command = [sys.executable, "-m", "governance", *args]
    if capture is None:
        return subprocess.run(command, env=env, check=False).returncode
    with capture.open("w", encoding="utf-8") as handle:
        return subprocess.run(command, env=env, stdout=handle, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/demo"))
    out = parser.parse_args().out
    if out.exists():
        shutil.rmtree(out)
    (out / "reports").mkdir(parents=True)
    store = f"sqlite:///{rel(out / 'audit.db')}"
    env = {**os.environ, "GOVERNANCE_STORE_URL": store}

    if governance("keys", "init", "--dir", rel(out / "keys"), env=env) != 0:
        return 3
    env["GOVERNANCE_SIGNING_KEY"] = rel(out / "keys" / "governance-dev-key.pem")
    env["GOVERNANCE_SIGNING_CERT"] = rel(out / "keys" / "governance-dev-cert.pem")

    failures = []
    for step in ("lint", "test"):
        if governance("policy", step, rel(REPO / "policies"), env=env) != 0:
            failures.append(f"governance policy {step} policies/ failed")

    verdicts = {}
    for version, expected in EXPECTED.items():
        manifest = rel(SAMPLE / f"{version}.yaml")
        report = out / "reports" / f"adult-income-{version}.pdf"
        code = governance(
            "check", manifest, "--policy", rel(POLICY), "--report", rel(report), env=env
        )
        verdicts[version] = (code, report)
        if code != expected:
            failures.append(f"{version}: exit {code}, expected {expected}")

    waived = {}
    mitigated = rel(SAMPLE / "mitigated.yaml")
    for label, (waivers, expected) in WAIVERS.items():
        record = out / f"mitigated-{waivers.removesuffix('.yaml')}.json"
        code = governance(
            "check",
            mitigated,
            "--policy",
            rel(POLICY),
            "--waivers",
            rel(SAMPLE / waivers),
            "--format",
            "text",
            "--format",
            f"json={rel(record)}",
            env=env,
        )
        waived[label] = (code, record)
        if code != expected:
            failures.append(f"mitigated with {label}: exit {code}, expected {expected}")

    trust = rel(out / "keys" / "governance-dev-cert.pem")
    for _, report in verdicts.values():
        if governance("verify", rel(report), "--trust-root", trust, env=env) != 0:
            failures.append(f"{report} did not verify")
    if governance("audit", "verify", env=env) != 0:
        failures.append("the audit chain did not verify")
    events = out / "events.json"
    governance(
        "audit", "log", "--kind", "openlineage.event", "--format", "json", env=env, capture=events
    )
    count = len(json.loads(events.read_text(encoding="utf-8")))

    print("\nSummary")
    words = {0: "PASSED", 1: "BLOCKED"}
    rows = [
        (version, words.get(code, f"exit {code}"), f"report: {rel(report)}")
        for version, (code, report) in verdicts.items()
    ]
    for label, (code, record) in waived.items():
        found = json.loads(record.read_text())["waivers"] if record.exists() else []
        statuses = ", ".join(f"{w['rule_id']} {w['status']}" for w in found) or "no record"
        rows.append((f"mitigated, {label}", words.get(code, f"exit {code}"), statuses))
    width = max(len(row[0]) for row in rows)
    for name, word, detail in rows:
        print(f"  {name:<{width}}  {word:<8} {detail}")
    print(f"  audit store: {store}")
    print(f"  OpenLineage events: {count}, in {rel(events)}")
    print(f"  development key: {rel(out / 'keys')}")
    if failures:
        print("\nDemo FAILED: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
