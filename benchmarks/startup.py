"""`governance --help` start-up time, side by side with a bare interpreter (budget: < 0.3 s).

Heavy libraries (shap, weasyprint, fairlearn, scikit-learn, pandas, SQLAlchemy) are imported only
by the commands that use them; this measures what a user waits for on `--help`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROUNDS = 15
BIN = Path(sys.executable).parent
COMMANDS = {
    "python -c pass (peer: bare interpreter)": [sys.executable, "-c", "pass"],
    "python -c 'import governance'": [sys.executable, "-c", "import governance"],
    "governance --help": [str(BIN / "governance"), "--help"],
    "governance check --help": [str(BIN / "governance"), "check", "--help"],
}


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    rows = []
    for label, command in COMMANDS.items():
        timed(command)  # warm the file cache
        samples = [timed(command) for _ in range(ROUNDS)]
        rows.append((label, statistics.median(samples), max(samples)))
    bare = rows[0][1]
    print(f"{'command':<42} {'median s':>9} {'max s':>7} {'x bare':>7}")
    for label, median, worst in rows:
        print(f"{label:<42} {median:>9.3f} {worst:>7.3f} {median / bare:>7.1f}")
    help_median = rows[2][1]
    verdict = "meets" if help_median < 0.3 else "MISSES"
    print(f"\n`governance --help` median {help_median:.3f} s: {verdict} the 0.3 s budget")
    return 0 if help_median < 0.3 else 1


if __name__ == "__main__":
    sys.exit(main())
