from __future__ import annotations

from pathlib import Path

import pytest

from governance.config import DEFAULT_STORE_URL, load_settings
from governance.errors import ConfigError


def test_precedence_is_flag_then_env_then_file_then_default(tmp_path: Path) -> None:
    (tmp_path / "governance.yml").write_text("store_url: sqlite:///file.db\nnamespace: fromfile\n")
    env = {"GOVERNANCE_STORE_URL": "sqlite:///env.db"}
    settings = load_settings({"store_url": None}, env=env, cwd=tmp_path)
    assert settings["store_url"] == "sqlite:///env.db"
    assert settings["namespace"] == "fromfile"
    assert settings["fail_on"] == "high"
    flagged = load_settings({"store_url": "sqlite:///flag.db"}, env=env, cwd=tmp_path)
    assert flagged["store_url"] == "sqlite:///flag.db"
    assert flagged.sources["store_url"] == "flag"
    assert load_settings(env={}, cwd=tmp_path / "nowhere")["store_url"] == DEFAULT_STORE_URL


def test_unknown_setting_in_the_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "governance.yml"
    path.write_text("namespace: x\nstore: sqlite:///a.db\n")
    with pytest.raises(ConfigError, match=r"governance\.yml:2: unknown setting 'store'"):
        load_settings(env={}, cwd=tmp_path)


def test_invalid_choice_names_its_source() -> None:
    with pytest.raises(
        ConfigError, match=r"fail_on must be one of .* found 'urgent' \(from GOVERNANCE_FAIL_ON\)"
    ):
        load_settings(env={"GOVERNANCE_FAIL_ON": "urgent"})


def test_a_named_config_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_settings(env={}, config_file=tmp_path / "missing.yml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "namespace: 2026-02-30\n",
            r"governance\.yml:1:12: namespace: not a valid date \(2026-02-30: day is out of range "
            r"for month\)",
        ),
        (
            "store_url: sqlite:///a.db\nnamespace: yes\n",
            r"governance\.yml:2:12: namespace: must be text or a number, found the boolean true "
            r"\(quote it to mean the text\)",
        ),
    ],
)
def test_a_bad_value_in_the_file_names_file_line_column_and_setting(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "governance.yml").write_text(text)
    with pytest.raises(ConfigError, match=expected) as caught:
        load_settings(env={}, cwd=tmp_path)
    assert caught.value.exit_code == 2


def test_numbers_and_quoted_text_in_the_file_are_settings(tmp_path: Path) -> None:
    (tmp_path / "governance.yml").write_text('serve_port: 8080\nnamespace: "yes"\n')
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings["serve_port"] == "8080" and settings["namespace"] == "yes"
