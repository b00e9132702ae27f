"""Run every benchmark (`make bench`): each benchmarks/*.py script prints its own table.

Benchmarks measure ours side by side with the peer, in one run, and print ratios. They are not
tests and do not run in CI. `make bench BENCH=fairness` runs one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    only = os.environ.get("BENCH")
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in {"run.py", "__init__.py"})
    if only:
        scripts = [p for p in scripts if p.stem == only]
    if not scripts:
        print("no benchmark to run", file=sys.stderr)
        return 2
    failed = []
    for script in scripts:
        print(f"\n### {script.stem}\n", flush=True)
        if subprocess.run([sys.executable, str(script)], check=False).returncode != 0:
            failed.append(script.stem)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
