from __future__ import annotations

import os
from pathlib import Path

import pytest

from governance.config import DEFAULT_STORE_URL, Settings, load_settings
from governance.errors import ConfigError
from tests.cli.test_check import store_entries
from tests.conftest import CliRun


def test_precedence_is_flag_then_env_then_file_then_default(tmp_path: Path) -> None:
    (tmp_path / "governance.yml").write_text("store_url: sqlite:///file.db\nnamespace: fromfile\n")
    env = {"GOVERNANCE_STORE_URL": "sqlite:///env.db"}
    settings = load_settings({"store_url": None}, env=env, cwd=tmp_path)
    assert settings.store_url == "sqlite:///env.db"
    assert settings.namespace == "fromfile"
    assert settings.source("namespace") == f"{tmp_path / 'governance.yml'}:2"
    assert settings.fail_on == "high" and settings.source("fail_on") == "default"
    flagged = load_settings({"store_url": "sqlite:///flag.db"}, env=env, cwd=tmp_path)
    assert flagged.store_url == "sqlite:///flag.db"
    assert flagged.source("store_url") == "flag"
    assert load_settings(env={}, cwd=tmp_path / "nowhere").store_url == DEFAULT_STORE_URL


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
    assert settings.serve_port == 8080 and settings.namespace == "yes"


def test_every_value_is_typed_when_the_settings_load(tmp_path: Path) -> None:
    env = {
        "GOVERNANCE_SERVE_MAX_BODY": "512k",
        "GOVERNANCE_SIGNING_CHAIN": os.pathsep.join(["a.pem", "", "b.pem"]),
        "GOVERNANCE_SERVE_ALLOWED_HOSTS": "gov.internal, 10.0.0.5,",
        "GOVERNANCE_CEL_BUDGET_SECONDS": "2.5",
        "GOVERNANCE_EXPLAIN_ROWS": "40",
    }
    (tmp_path / "governance.yml").write_text("signing_key: keys/k.pem\nreport_max_seconds: 30\n")
    settings = load_settings({"serve_port": "8081"}, env=env, cwd=tmp_path)
    assert settings.serve_max_body == 512 * 1024
    assert settings.signing_chain == (Path("a.pem"), Path("b.pem"))
    assert settings.serve_allowed_hosts == ("gov.internal", "10.0.0.5")
    assert settings.cel_budget_seconds == 2.5 and settings.explain_rows == 40
    assert settings.signing_key == Path("keys/k.pem") and settings.report_max_seconds == 30.0
    assert settings.serve_port == 8081 and settings.serve_reports_dirs == ()
    defaults = load_settings(env={}, cwd=tmp_path / "nowhere")
    assert defaults == Settings() and defaults.cel_budget_seconds == 5.0
    assert defaults.serve_max_body == 8388608 and defaults.report_max_seconds == 120.0


@pytest.mark.parametrize(
    ("flags", "env", "file", "message"),
    [
        (
            {"serve_port": "http"},
            {},
            "",
            "serve_port must be a port number (0 to 65535), found 'http' (from flag)",
        ),
        (
            {},
            {"GOVERNANCE_SERVE_MAX_BODY": "lots"},
            "",
            "serve_max_body must be a size in bytes (e.g. 8388608, 512k, 8M), found 'lots' "
            "(from GOVERNANCE_SERVE_MAX_BODY)",
        ),
        (
            {},
            {},
            "namespace: x\nreport_max_seconds: 0\n",
            "report_max_seconds must be a positive number of seconds, found '0' (from {file}:2)",
        ),
        (
            {"store_url": ""},
            {},
            "",
            "store_url must be an audit store URL, found '' (from flag)",
        ),
        (
            {},
            {},
            'namespace: ""\n',
            "namespace must be a name, found '' (from {file}:1)",
        ),
    ],
)
def test_a_bad_value_is_one_error_naming_the_setting_and_its_source(
    tmp_path: Path, flags: dict[str, str], env: dict[str, str], file: str, message: str
) -> None:
    path = tmp_path / "governance.yml"
    if file:
        path.write_text(file)
    with pytest.raises(ConfigError) as caught:
        load_settings(flags, env=env, cwd=tmp_path)
    assert str(caught.value) == message.format(file=path)
    assert caught.value.exit_code == 2


def test_an_empty_optional_value_is_unset(tmp_path: Path) -> None:
    (tmp_path / "governance.yml").write_text('tsa_url: ""\nsigning_key: ""\n')
    settings = load_settings(
        {"signing_chain": ""}, env={"GOVERNANCE_EXPLAIN_ROWS": ""}, cwd=tmp_path
    )
    assert settings.tsa_url is None and settings.signing_key is None
    assert settings.signing_chain == () and settings.explain_rows is None


def test_the_passphrase_is_never_shown() -> None:
    settings = load_settings(env={"GOVERNANCE_SIGNING_PASSPHRASE": "hunter2"})
    assert settings.signing_passphrase == "hunter2"
    assert "hunter2" not in repr(settings)


def test_a_bad_setting_stops_a_check_that_never_reads_it_before_anything_is_written(
    run_cli: CliRun,
    manifest_path: Path,
    policy_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the policy has no explainability rule: the setting used to be read only by one
    monkeypatch.setenv("GOVERNANCE_EXPLAIN_ROWS", "many")
    db = tmp_path / "audit.db"
    result = run_cli("check", manifest_path, "-p", policy_path, "--store", f"sqlite:///{db}")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "Error: explain_rows must be a positive integer, found 'many' "
        "(from GOVERNANCE_EXPLAIN_ROWS)\n"
    )
    assert store_entries(db) == 0
