"""The end-to-end demo behind `make demo`.

Runs the real `governance` CLI, step by step, on the Adult income sample: a development signing
key, the gate on the baseline model (blocked) and on the mitigated one (passes), each recorded in
an audit store and reported as a signed PDF, then the audit chain and the reports verified.
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

    verdicts = {}
    failures = []
    for version, expected in EXPECTED.items():
        manifest = rel(SAMPLE / f"{version}.yaml")
        report = out / "reports" / f"adult-income-{version}.pdf"
        code = governance(
            "check", manifest, "--policy", rel(POLICY), "--report", rel(report), env=env
        )
        verdicts[version] = (code, report)
        if code != expected:
            failures.append(f"{version}: exit {code}, expected {expected}")

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
    for version, (code, report) in verdicts.items():
        word = {0: "PASSED", 1: "BLOCKED"}.get(code, f"exit {code}")
        print(f"  {version:<10} {word:<8} report: {rel(report)}")
    print(f"  audit store: {store}")
    print(f"  OpenLineage events: {count}, in {rel(events)}")
    print(f"  development key: {rel(out / 'keys')}")
    if failures:
        print("\nDemo FAILED: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
