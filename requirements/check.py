"""Does this environment hold the versions a lock file pins? Used by the Makefile.

    python requirements/check.py [--fix 'make sync'] [--python 3.11] requirements/dev.lock
    python requirements/check.py --drift requirements/dev.lock

The first form exits 1 with one line per difference (a locked package missing or at another
version, or ``pip check`` finding a broken requirement) and what to run; it prints nothing when
the environment matches (``--python``: a note when this Python is not the one the lock is
resolved for). ``--drift`` only reports which installed versions differ from the lock (for
``make test-latest``) and exits 0. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

PIN = re.compile(  # name[extras]==version ; marker \
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$"
)
MISMATCH = "{env} does not match {lock}:"
WRONG_PYTHON = (
    "Note: {lock} is resolved for Python {want}, which CI runs; this is Python {have} "
    "(run make with PYTHON=python{want}, or `make test-latest` for the newest versions)"
)


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares it (``Foo_Bar`` and ``foo-bar`` are one)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _marker_applies(marker: str | None) -> bool:
    if not marker:
        return True
    try:  # pip's copy of `packaging` is in every environment pip installs into
        from pip._vendor.packaging.markers import Marker
    except ImportError:  # pragma: no cover - no pip: assume the pin applies
        return True
    return bool(Marker(marker).evaluate())


def read_lock(path: Path) -> dict[str, str]:
    """``{canonical name: version}`` of every pin in ``path`` that applies to this interpreter."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match and _marker_applies(match.group(3)):
            pins[canonical(match.group(1))] = match.group(2)
    return pins


def installed() -> dict[str, str]:
    """``{canonical name: version}`` of every distribution in this environment."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(canonical(name), dist.version)
    return found


def differences(pins: dict[str, str], present: dict[str, str]) -> list[str]:
    """One line per locked package that is missing or at another version."""
    lines = []
    for name, version in sorted(pins.items()):
        have = present.get(name)
        if have is None:
            lines.append(f"  {name}: not installed, {version} locked")
        elif have != version:
            lines.append(f"  {name}: {have} installed, {version} locked")
    return lines


def broken_requirements() -> list[str]:
    """What ``pip check`` reports (a package whose own requirements are not met), if anything."""
    run = subprocess.run(
        [sys.executable, "-m", "pip", "check", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode == 0:
        return []
    return [f"  {line}" for line in run.stdout.splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    """Compare this environment with a lock; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", type=Path)
    parser.add_argument("--python", help="the Python version (X.Y) the lock is resolved for")
    parser.add_argument("--fix", default="pip install -r LOCK", help="the command that fixes it")
    parser.add_argument("--drift", action="store_true", help="only report, exit 0")
    args = parser.parse_args(argv)
    pins = read_lock(args.lock)
    found = differences(pins, installed())
    env = sys.prefix
    if args.drift:
        newer = [line for line in found if "not installed" not in line]
        if newer:
            count = f"{len(newer)} package{'s' if len(newer) != 1 else ''}"
            print(f"{env} differs from {args.lock} in {count}:")
            print("\n".join(newer))
        else:
            print(f"{env} holds the versions of {args.lock}.")
        return 0
    have = f"{sys.version_info.major}.{sys.version_info.minor}"
    if args.python and have != args.python:  # a note: the pins may still install and work
        print(WRONG_PYTHON.format(lock=args.lock, want=args.python, have=have), file=sys.stderr)
    found.extend(broken_requirements())
    if not found:
        return 0
    print(MISMATCH.format(env=env, lock=args.lock), file=sys.stderr)
    print("\n".join(found), file=sys.stderr)
    print(f"Run `{args.fix}` to install the locked versions again.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
