"""Impossible dates and wrongly typed values in any YAML input: one located line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.conftest import BASELINE_POLICY, SAMPLE

WAIVERS = """apiVersion: governance/v1
kind: Waivers
waivers:
  - rule_id: four-fifths-rule
    subject: {{model: adult-income}}
    justification: Documented.
    approved_by: risk@example.org
    ticket: GOV-1
    expires: {expires}
"""


def check(
    run: Run, tmp_path: Path, *extra: object, manifest: Path | None = None
) -> tuple[int, str]:
    store = tmp_path / "audit.db"
    result = run(
        "check",
        manifest or SAMPLE / "mitigated.yaml",
        "-p",
        BASELINE_POLICY,
        "--store",
        f"sqlite:///{store}",
        *extra,
    )
    assert not store.exists()  # nothing written
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("expires", "reason"),
    [
        ("2030-13-45", "2030-13-45: month must be in 1..12"),
        ("2030-12-31T25:00:00", "2030-12-31T25:00:00: hour must be in 0..23"),
    ],
)
def test_an_impossible_waiver_expiry_is_a_located_input_error(
    run: Run, tmp_path: Path, expires: str, reason: str
) -> None:
    waivers = tmp_path / "w.yaml"
    waivers.write_text(WAIVERS.format(expires=expires), encoding="utf-8")
    code, stderr = check(run, tmp_path, "--waivers", waivers)
    assert code == 2
    assert stderr == f"Error: {waivers}:9:14: waivers[0].expires: not a valid date ({reason})\n"


def _sample_manifest(tmp_path: Path, old: str, new: str) -> Path:
    text = (SAMPLE / "mitigated.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "manifest.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  owner: credit-ml@example.org",
            "  owner: 2026-02-30",
            "6:10: metadata.owner: not a valid date (2026-02-30: day is out of range for month)",
        ),
        (
            "  format: skops",
            '  format: joblib\n  trusted: "1"',
            "22:12: model.trusted: Input should be a valid boolean, found the string '1'",
        ),
        (
            "  version: 1.1.0",
            "  version: 1.0",
            '5:12: metadata.version: must be a semantic version string such as "1.0.0", found '
            "the number 1.0",
        ),
        (
            '  positive_label: ">50K"',
            "  positive_label: [1]",
            "25:19: data.positive_label: Input should be a valid string, a valid integer, a valid "
            "number or a valid boolean, found a list",
        ),
    ],
)
def test_a_bad_manifest_value_is_a_located_input_error(
    run: Run, tmp_path: Path, old: str, new: str, expected: str
) -> None:
    manifest = _sample_manifest(tmp_path, old, new)
    code, stderr = check(run, tmp_path, manifest=manifest)
    assert code == 2
    assert stderr == f"Error: {manifest}:{expected}\n"


def test_an_impossible_date_in_a_policy_fails_lint_and_check(run: Run, tmp_path: Path) -> None:
    text = BASELINE_POLICY.read_text(encoding="utf-8")
    first_title = next(line for line in text.splitlines() if line.startswith("    title: "))
    policy = tmp_path / "policy.yaml"
    policy.write_text(text.replace(first_title, "    title: 2026-02-30", 1), encoding="utf-8")
    line = text.splitlines().index(first_title) + 1
    expected = (
        f"Error: {policy}:{line}:12: rules[0].title: not a valid date (2026-02-30: day is out "
        "of range for month)\n"
    )
    lint = run("policy", "lint", policy)
    assert (lint.exit_code, lint.stderr) == (2, expected)
    checked = run("check", SAMPLE / "mitigated.yaml", "-p", policy, "--store", "sqlite://")
    assert (checked.exit_code, checked.stderr) == (2, expected)


def test_an_impossible_date_in_the_config_file_is_a_located_input_error(
    run: Run, tmp_path: Path
) -> None:
    config = tmp_path / "settings.yml"
    config.write_text("namespace: 2026-02-30\n", encoding="utf-8")
    code, stderr = check(run, tmp_path, "--config", config)
    assert code == 2
    assert stderr == (
        f"Error: {config}:1:12: namespace: not a valid date (2026-02-30: day is out of range "
        "for month)\n"
    )
