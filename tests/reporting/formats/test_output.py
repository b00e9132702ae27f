"""``--format NAME[=FILE]`` (repeatable) and ``--output``: where each format goes."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from governance.errors import ConfigError
from governance.reporting.formats.output import (
    OutputTarget,
    plan_outputs,
    use_color,
    write_outputs,
)
from tests.cli.conftest import Run
from tests.cli.test_check import store_entries


def test_default_is_text_on_stdout() -> None:
    assert plan_outputs([]) == [OutputTarget("text", None)]


def test_formats_with_files_and_one_on_stdout(tmp_path: Path) -> None:
    sarif, junit = tmp_path / "r.sarif", tmp_path / "out" / "j.xml"
    junit.parent.mkdir()
    assert plan_outputs(["text", f"sarif={sarif}", f"JUnit={junit}"]) == [
        OutputTarget("text", None),
        OutputTarget("sarif", sarif),
        OutputTarget("junit", junit),
    ]


def test_output_receives_the_format_without_a_file(tmp_path: Path) -> None:
    out = tmp_path / "record.json"
    assert plan_outputs(["json"], out) == [OutputTarget("json", out)]
    assert plan_outputs([], out) == [OutputTarget("text", out)]
    assert plan_outputs(["json", "text=-"], out) == [
        OutputTarget("json", out),
        OutputTarget("text", None),
    ]


@pytest.mark.parametrize(
    ("specs", "output", "message"),
    [
        (["yaml"], None, "--format yaml: unknown format 'yaml'"),
        (["sarif="], None, "--format sarif=: no file after '='"),
        (["text", "json"], None, "only one format can go to stdout, got text, json"),
        (["text", "json=-"], None, "only one format can go to stdout, got text, json"),
        (["json", "text"], "out.json", "--output takes exactly one format, got 2 formats"),
        (["sarif=a.sarif"], "out.json", "--output takes exactly one format, got no format"),
        (["sarif=same", "junit=same"], None, "format sarif and format junit would both write same"),
        (["json=same", "sarif=."], None, "is a directory, not a file"),
    ],
)
def test_bad_combinations_are_refused(
    specs: list[str], output: str | None, message: str, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        plan_outputs(specs, Path(output) if output else None)
    assert message in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "missing" / "deeper"
    with pytest.raises(ConfigError) as caught:
        plan_outputs([f"sarif={missing / 'r.sarif'}"])
    assert str(caught.value) == f"{missing}: the output folder does not exist"
    assert not (tmp_path / "missing").exists()


def test_a_file_used_as_a_folder_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="the output folder is a file, not a folder"):
        plan_outputs([f"sarif={blocker / 'r.sarif'}"])


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_folder_that_takes_no_files_is_refused_even_for_root() -> None:
    """/proc looks writable to root (os.access says yes) but takes no new files."""
    with pytest.raises(ConfigError, match="/proc: cannot create a file in the output folder"):
        plan_outputs(["json=/proc/governance-x.json"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    with pytest.raises(ConfigError, match="cannot create a file in the output folder"):
        plan_outputs([f"json={folder / 'x.json'}"])


def test_writing_never_creates_a_folder(record: dict[str, Any], tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.json"
    with pytest.raises(ConfigError, match="the output folder does not exist"):
        write_outputs(record, [OutputTarget("json", target)], stdout=print)
    assert not target.parent.exists()


@pytest.mark.parametrize(
    ("tty", "environ", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value counts
        (True, {"TERM": "dumb"}, False),
    ],
)
def test_use_color(tty: bool, environ: dict[str, str], expected: bool) -> None:
    assert use_color(tty, environ) is expected


def test_files_are_written_and_colour_is_for_stdout_only(
    record: dict[str, Any], tmp_path: Path
) -> None:
    text_file = tmp_path / "out.txt"
    printed: list[str] = []
    targets = [OutputTarget("text", text_file), OutputTarget("markdown", None)]
    write_outputs(record, targets, stdout=printed.append, color=True)
    assert "\033" not in text_file.read_text(encoding="utf-8")
    assert not list(tmp_path.glob("*.partial"))
    assert printed[0].startswith("### governance check: FAILED")


def test_check_writes_every_format_in_one_run(
    run: Run, manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    sarif, junit = tmp_path / "results.sarif", tmp_path / "reports" / "junit.xml"
    junit.parent.mkdir()
    result = run(
        "check",
        manifest_path,
        "-p",
        policy_path,
        "--store",
        f"sqlite:///{tmp_path / 'audit.db'}",
        "--format",
        "text",
        "--format",
        f"sarif={sarif}",
        "--format",
        f"junit={junit}",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-2].startswith("Verdict: PASSED")
    assert "\033" not in result.stdout  # not a terminal
    log = json.loads(sarif.read_text(encoding="utf-8"))
    assert [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]] == [
        "dp-ratio",
        "accuracy",
    ]
    assert ET.parse(junit).getroot().get("tests") == "2"


def test_check_refuses_two_formats_on_stdout_before_running(
    run: Run, manifest_path: Path, policy_path: Path, tmp_path: Path
) -> None:
    db = tmp_path / "audit.db"
    result = run(
        "check", manifest_path, "-p", policy_path, "--store", f"sqlite:///{db}",
        "--format", "json", "--format", "sarif",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: only one format can go to stdout, got json, sarif")
    assert result.stdout == ""
    assert store_entries(db) == 0


def test_check_github_format_appends_the_step_summary(
    run: Run, manifest_path: Path, policy_path: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    result = run("check", manifest_path, "-p", policy_path, "--store", store, "--format", "github")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("::notice title=governance check PASSED::synthetic 0.1.0")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier\n\n### governance check: PASSED for synthetic 0.1.0")


def run_on_a_terminal(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """Run governance with stdout on a pseudo-terminal; return what it printed there."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "governance", *args],
            stdout=follower,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            check=False,
            timeout=120,
        )
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal has no writer left
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert done.returncode == 0, done.stderr
    return b"".join(chunks).decode("utf-8")


@pytest.mark.parametrize(("no_color", "coloured"), [("", True), ("1", False)])
def test_text_is_coloured_only_on_a_terminal_without_no_color(
    manifest_path: Path, policy_path: Path, tmp_path: Path, no_color: str, coloured: bool
) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVERNANCE_")}
    env.update(NO_COLOR=no_color, TERM="xterm")
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    printed = run_on_a_terminal(
        ["check", str(manifest_path), "-p", str(policy_path), "--store", store], env, tmp_path
    )
    assert ("\033[" in printed) is coloured
    assert "PASS" in printed and "Verdict: " in printed
