"""docs/your-model.md, run as written: its scripts saved, its commands run, its output compared.

The guide's ```python blocks whose first line is ``# NAME.py: ...`` are saved under that name;
its ```console blocks are run in order, in one shell in an empty folder, with this virtualenv's
``governance`` and ``python`` first on PATH. Each ``$`` line is a command (a line ending in
``\\`` goes on), every command must exit 0, and the lines shown after it must appear in its
output in that order, with numbers, ids and digests free to differ (``...`` stands for lines
left out). The ```yaml blocks that follow ``governance init`` must be the files it wrote.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

GUIDE = REPO / "docs" / "your-model.md"
BIN = Path(sys.executable).parent
MARK = "@@governance-guide@@"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
SCRIPT_NAME = re.compile(r"^# (\S+\.py):")


@dataclass
class Command:
    """One ``$`` command of a console block and the output the guide shows for it."""

    text: str
    shown: list[str] = field(default_factory=list)


def blocks(text: str) -> list[tuple[str, str]]:
    return [(match.group(1), match.group(2)) for match in FENCE.finditer(text)]


def commands(console: str) -> list[Command]:
    found: list[Command] = []
    lines = iter(console.splitlines())
    for line in lines:
        if line.startswith("$ "):
            text = line[2:]
            while text.endswith("\\"):
                text = text[:-1] + "\n" + next(lines)
            found.append(Command(text.replace("\n", " ")))
        elif found:
            found[-1].shown.append(line)
    return found


def normal(line: str) -> str:
    """A line with what differs from run to run (ids, digests, times, numbers) made alike."""
    line = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", line)
    line = re.sub(r"\d{4}-\d{2}-\d{2}[T ][\d:.]+Z?( UTC)?", "<time>", line)
    line = re.sub(r"\b(?=[0-9a-f]*\d)[0-9a-f]{7,64}\b", "<hex>", line)
    line = re.sub(r"\d+(\.\d+)?", "<n>", line)
    return " ".join(line.split())


def shell_script(steps: list[Command], shim: str) -> str:
    """One bash script running every command, each framed by markers with its exit code."""
    parts = []
    for index, step in enumerate(steps):
        parts.append(f"echo '{MARK} {index}'")
        parts.append(step.text)
        parts.append(f'echo "{MARK} {index} exit $?"')
        if step.text.startswith("governance init"):
            parts.append(shim)
    return "\n".join(parts) + "\n"


def outputs(stdout: str, count: int) -> list[tuple[list[str], int | None]]:
    """Each command's output lines and exit code, from the framed output."""
    found: list[tuple[list[str], int | None]] = [([], None) for _ in range(count)]
    current = None
    for line in stdout.splitlines():
        if line.startswith(MARK):
            words = line.split()
            index = int(words[1])
            if len(words) == 4:
                found[index] = (found[index][0], int(words[3]))
                current = None
            else:
                current = index
        elif current is not None:
            found[current][0].append(line)
    return found


def in_order(shown: list[str], got: list[str]) -> bool:
    wanted = [normal(line) for line in shown if line.strip() and line.strip() != "..."]
    have = iter(normal(line) for line in got)
    return all(any(line == candidate for candidate in have) for line in wanted)


@pytest.mark.skipif(shutil.which("git") is None, reason="the guide commits the training code")
def test_the_guide_runs_as_written(tmp_path: Path) -> None:
    text = GUIDE.read_text(encoding="utf-8")
    found = blocks(text)
    for kind, body in found:
        name = SCRIPT_NAME.match(body)
        if kind == "python" and name:
            (tmp_path / name.group(1)).write_text(body, encoding="utf-8")
    steps = [step for kind, body in found if kind == "console" for step in commands(body)]
    assert any(s.text.startswith("governance init") for s in steps)
    assert any("--report" in s.text for s in steps)

    shim = "cp policy.yaml policy.as-written.yaml"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_")}
    environ.update(
        PATH=f"{BIN}{os.pathsep}{environ.get('PATH', '')}",
        GIT_AUTHOR_NAME="Guide",
        GIT_AUTHOR_EMAIL="guide@example.org",
        GIT_COMMITTER_NAME="Guide",
        GIT_COMMITTER_EMAIL="guide@example.org",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    script = tmp_path / "guide.sh"
    script.write_text(shell_script(steps, shim), encoding="utf-8")
    done = subprocess.run(
        ["bash", str(script)],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
        check=False,
    )
    for step, (got, code) in zip(steps, outputs(done.stdout, len(steps)), strict=True):
        shown = "\n".join(got)
        assert code == 0, f"$ {step.text}\nexit {code}\n{shown}"
        assert in_order(step.shown, got), f"$ {step.text}\nshown:\n{step.shown}\ngot:\n{shown}"

    written = {
        "Model": (tmp_path / "manifest.yaml").read_text(encoding="utf-8"),
        "Policy": (tmp_path / "policy.as-written.yaml").read_text(encoding="utf-8"),
    }
    for kind, body in found:
        if kind == "yaml" and body.startswith("# Written by `governance init`"):
            assert body == written[yaml.safe_load(body)["kind"]]
    assert (tmp_path / "report.pdf").is_file()
