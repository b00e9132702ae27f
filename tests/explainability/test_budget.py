"""The explain budget's settings and params: only finite positive numbers are accepted."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from governance.checks.explainability import AvailableParams
from governance.config import Settings, load_settings
from governance.errors import ConfigError
from governance.evaluators.explain_budget import DEFAULT_MAX_SECONDS, resolve_budget


def _budget_from_env(env: dict[str, str], tmp_path: Path) -> float:
    settings = load_settings(env=env, cwd=tmp_path)
    budget = resolve_budget(rows=None, background=None, max_seconds=None, seed=0, settings=settings)
    return budget.max_seconds


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "1e400", "0", "-1", "abc"])
def test_a_seconds_setting_that_is_not_finite_and_positive_is_refused(
    text: str, tmp_path: Path
) -> None:
    with pytest.raises(
        ConfigError,
        match=rf"^explain_max_seconds must be a positive number of seconds, found '{text}' "
        r"\(from GOVERNANCE_EXPLAIN_MAX_SECONDS\)$",
    ):
        load_settings(env={"GOVERNANCE_EXPLAIN_MAX_SECONDS": text}, cwd=tmp_path)


@pytest.mark.parametrize("text", ["nan", "inf", "1e400", "2.5", "0", "-3"])
def test_a_rows_setting_that_is_not_a_positive_integer_is_refused(
    text: str, tmp_path: Path
) -> None:
    with pytest.raises(
        ConfigError, match=rf"explain_rows must be a positive integer, found '{text}'"
    ):
        load_settings(env={"GOVERNANCE_EXPLAIN_ROWS": text}, cwd=tmp_path)


@pytest.mark.parametrize(("written", "read"), [(".nan", "nan"), (".inf", "inf")])
def test_a_non_finite_seconds_value_in_the_config_file_names_the_file_and_line(
    written: str, read: str, tmp_path: Path
) -> None:
    path = tmp_path / "governance.yml"
    path.write_text(f"namespace: x\nexplain_max_seconds: {written}\n")
    with pytest.raises(
        ConfigError,
        match=rf"explain_max_seconds must be a positive number of seconds, found '{read}' "
        rf"\(from {path}:2\)",
    ):
        load_settings(env={}, cwd=tmp_path)


def test_finite_seconds_are_kept(tmp_path: Path) -> None:
    assert _budget_from_env({"GOVERNANCE_EXPLAIN_MAX_SECONDS": "0.25"}, tmp_path) == 0.25
    (tmp_path / "governance.yml").write_text("explain_max_seconds: 2\n")
    assert _budget_from_env({}, tmp_path) == 2.0


def test_a_rule_param_wins_over_the_settings_and_the_defaults_fill_the_rest() -> None:
    settings = Settings(explain_rows=37, explain_background=9, explain_max_seconds=3.0)
    ruled = resolve_budget(rows=5, background=None, max_seconds=None, seed=1, settings=settings)
    assert (ruled.rows, ruled.background, ruled.max_seconds) == (5, 9, 3.0)
    default = resolve_budget(
        rows=None, background=None, max_seconds=None, seed=1, settings=Settings()
    )
    assert (default.rows_for("linear"), default.max_seconds) == (500, DEFAULT_MAX_SECONDS)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("name", ["max_seconds", "additivity_tolerance"])
def test_a_rule_param_that_is_not_finite_is_refused(name: str, value: float) -> None:
    with pytest.raises(pydantic.ValidationError, match=name):
        AvailableParams.model_validate({name: value})
    assert AvailableParams.model_validate({name: 0.5}).model_dump()[name] == 0.5
