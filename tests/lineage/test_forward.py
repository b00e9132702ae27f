"""Forwarding the gate's events to OpenLineage transports, configured the openlineage-python way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openlineage.client.serde import Serde

from governance.config import openlineage_sink
from governance.errors import ConfigError, LineageError
from governance.lineage import complete_event, start_event
from governance.lineage.forward import Forwarder, client_event

OL_VARIABLES = (
    "OPENLINEAGE_URL",
    "OPENLINEAGE_ENDPOINT",
    "OPENLINEAGE_API_KEY",
    "OPENLINEAGE_CONFIG",
    "OPENLINEAGE_DISABLED",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No OpenLineage settings but the test's own: empty cwd and home."""
    import os

    for name in list(os.environ):
        if name.startswith("OPENLINEAGE") or name in OL_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def _events(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [start_event(record), complete_event(record)]


def test_nothing_configured_means_no_forwarding() -> None:
    assert openlineage_sink() is None
    assert Forwarder.create(None) is None


def test_openlineage_yml_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "openlineage.yml").write_text(
        "transport:\n  type: file\n  log_file_path: events.jsonl\n  append: true\n"
    )
    sink = openlineage_sink()
    assert sink is not None
    assert dict(sink.transport) == {"type": "file", "log_file_path": "events.jsonl", "append": True}
    assert sink.source == str(tmp_path / "openlineage.yml")


def test_openlineage_yml_in_the_home_folder(tmp_path: Path) -> None:
    folder = tmp_path / "home" / ".openlineage"
    folder.mkdir(parents=True)
    (folder / "openlineage.yml").write_text("transport:\n  type: console\n")
    sink = openlineage_sink()
    assert sink is not None
    assert (dict(sink.transport), sink.source) == (
        {"type": "console"},
        str(folder / "openlineage.yml"),
    )


def test_environment_variables_and_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "kafka")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TOPIC", "lineage")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__CONFIG", '{"bootstrap.servers": "k:9092"}')
    sink = openlineage_sink()
    assert sink is not None
    assert sink.transport == {
        "type": "kafka",
        "topic": "lineage",
        "config": {"bootstrap.servers": "k:9092"},
    }
    for name in ("TYPE", "TOPIC", "CONFIG"):
        monkeypatch.delenv(f"OPENLINEAGE__TRANSPORT__{name}")
    monkeypatch.setenv("OPENLINEAGE_URL", "http://marquez:5000")
    monkeypatch.setenv("OPENLINEAGE_API_KEY", "k3y")
    sink = openlineage_sink()
    assert sink is not None
    assert sink.transport == {
        "type": "http",
        "url": "http://marquez:5000",
        "auth": {"type": "api_key", "apiKey": "k3y"},
    }
    assert sink.source == "OPENLINEAGE_URL"


def test_url_joins_a_composite_transport(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "openlineage.yml").write_text(
        "transport:\n  type: composite\n  transports:\n"
        "    local:\n      type: file\n      log_file_path: a.jsonl\n"
    )
    monkeypatch.setenv("OPENLINEAGE_URL", "http://datahub:8080")
    sink = openlineage_sink()
    assert sink is not None
    assert set(sink.transport["transports"]) == {"local", "default_http"}


def test_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENLINEAGE_URL", "http://marquez:5000")
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    assert openlineage_sink() is None


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"OPENLINEAGE_CONFIG": "missing.yml"}, "OPENLINEAGE_CONFIG names a file that does not"),
        ({"OPENLINEAGE__TRANSPORT__URL": "http://x"}, "the OpenLineage transport has no type"),
        ({"file": "transport: [1, 2\n"}, "openlineage.yml:2:1: not valid YAML"),
        ({"file": "- a\n"}, "expected a mapping"),
    ],
)
def test_misconfiguration_is_an_error(
    setup: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in setup.items():
        if name == "file":
            (tmp_path / "openlineage.yml").write_text(value)
        else:
            monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        openlineage_sink()
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("transport", "message"),
    [
        ({"type": "nosuch"}, "unknown transport type 'nosuch' (known: "),
        ({"type": "http"}, "`url` key not passed to HttpConfig"),
        ({"type": "http", "url": "not a url"}, "Need valid url"),
        ({"type": "composite", "transports": {}}, "cannot be set up"),
    ],
)
def test_a_transport_that_cannot_be_built_is_an_error(
    transport: dict[str, Any], message: str
) -> None:
    from governance.config import OpenLineageSink

    with pytest.raises(LineageError) as caught:
        Forwarder.create(OpenLineageSink(transport=transport, source="test"))
    assert message in str(caught.value)
    assert str(caught.value).startswith("OpenLineage transport (from test) cannot be set up")


def test_client_event_serialises_back_to_the_same_event(record: dict[str, Any]) -> None:
    for event in _events(record):
        assert Serde.to_dict(client_event(event)) == event


def test_file_transport_receives_the_events(record: dict[str, Any], tmp_path: Path) -> None:
    from governance.config import OpenLineageSink

    target = tmp_path / "out.jsonl"
    sink = OpenLineageSink({"type": "file", "log_file_path": str(target), "append": True}, "t")
    forwarder = Forwarder.create(sink)
    assert forwarder is not None
    assert forwarder.forward(_events(record)) == []
    sent = [json.loads(line) for line in target.read_text().splitlines()]
    assert sent == _events(record)


def test_a_failing_member_of_a_composite_is_reported_and_the_others_still_receive(
    record: dict[str, Any], tmp_path: Path
) -> None:
    from governance.config import OpenLineageSink

    good = tmp_path / "good.jsonl"
    sink = OpenLineageSink(
        {
            "type": "composite",
            "transports": {
                "broken": {
                    "type": "http",
                    "url": "http://user:pw@127.0.0.1:9",
                    "timeout": 0.5,
                    "retry": {"total": 0},
                },
                "local": {"type": "file", "log_file_path": str(good), "append": True},
            },
        },
        "t",
    )
    forwarder = Forwarder.create(sink)
    assert forwarder is not None
    (failure,) = forwarder.forward(_events(record))
    assert failure.transport == "http transport 'broken'"
    assert failure.event_types == ("START", "COMPLETE")
    assert "user:pw" not in failure.error
    assert "the events are in the audit store" in failure.message
    assert len(good.read_text().splitlines()) == 2


def test_passwords_in_urls_are_masked_in_reasons() -> None:
    from governance.lineage.forward import _reason

    error = RuntimeError("cannot reach https://svc:s3cret@marquez.internal/api/v1/lineage\nmore")
    assert _reason(error) == "cannot reach https://svc:***@marquez.internal/api/v1/lineage"
