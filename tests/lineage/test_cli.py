"""`governance lineage ...` and the gate's lineage, end to end through the CLI."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from governance.audit import AuditStore
from governance.store import sqlite_url_for
from tests.conftest import CliRun as Run

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "adult-income"
EVENTS = SAMPLE / "lineage"
LINEAGE_POLICY = EVENTS / "policy.yaml"
TRAIN_RUN = "01936f6a-0000-7000-8000-00000000a002"
MODEL = "dataset:file:samples/adult-income/models/mitigated.skops"


@pytest.fixture
def cli(run_cli: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    import os

    for name in list(os.environ):
        if name.startswith(("OPENLINEAGE", "GOVERNANCE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GOVERNANCE_STORE_URL", sqlite_url_for(tmp_path / "audit.db"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return run_cli


@pytest.fixture
def ingested(cli: Run, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.chdir(REPO)
    result = cli("lineage", "ingest", EVENTS)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Read 6 events: 6 stored, 0 already recorded, 0 rejected")
    return cli


def test_ingesting_twice_stores_once(ingested: Run) -> None:
    again = ingested("lineage", "ingest", EVENTS, "--format", "json")
    report = json.loads(again.stdout)
    assert (report["stored"], report["duplicates"], report["rejected"]) == (0, 6, [])


def test_upstream_of_the_sample_model(ingested: Run) -> None:
    text = ingested("lineage", "upstream", MODEL)
    assert text.exit_code == 0
    assert text.stdout.splitlines()[:3] == [
        MODEL,
        "└── job:adult-income-sample:adult-income.train",
        "    ├── dataset:file:samples/adult-income/data/adult-test.csv.gz",
    ]
    graph = json.loads(ingested("lineage", "upstream", MODEL, "--format", "json").stdout)
    sources = {n["id"] for n in graph["nodes"] if n["depth"] == 2 and n["type"] == "DATASET"}
    assert sources == {
        "dataset:https://archive.ics.uci.edu:ml/machine-learning-databases/adult/adult.data",
        "dataset:https://archive.ics.uci.edu:ml/machine-learning-databases/adult/adult.test",
    }
    train = next(n for n in graph["nodes"] if n["id"].endswith("adult-train.csv.gz"))
    assert {"schema", "ownership", "version"} <= set(train["facets"])


def test_graph_formats(ingested: Run) -> None:
    dot = ingested(
        "lineage", "graph", "job:adult-income-sample:adult-income.train", "--format", "dot"
    )
    assert dot.stdout.startswith("digraph lineage {")
    assert '"job:adult-income-sample:adult-income.train" -> "' in dot.stdout
    mermaid = ingested("lineage", "graph", MODEL, "--format", "mermaid", "--depth", "1")
    assert mermaid.stdout.startswith("flowchart LR\n")
    assert " --> " in mermaid.stdout


def test_history_and_run(ingested: Run) -> None:
    history = ingested(
        "lineage", "history", "dataset:file:samples/adult-income/data/adult-train.csv.gz"
    )
    assert "Versions (1)" in history.stdout
    assert "schema 15 fields (first)" in history.stdout
    run = ingested("lineage", "run", TRAIN_RUN)
    assert "State    COMPLETE" in run.stdout
    assert "Code        https://github.com/governance-project/governance/blob/" in run.stdout
    as_json = json.loads(ingested("lineage", "run", TRAIN_RUN, "--format", "json").stdout)
    assert [e["event_type"] for e in as_json["events"]] == ["START", "COMPLETE"]


def test_as_of_before_anything_was_recorded(ingested: Run) -> None:
    result = ingested("lineage", "upstream", MODEL, "--as-of", "2000-01-01", "--format", "json")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(
        f"Error: {MODEL} was not yet recorded at 2000-01-01T23:59:59.999999Z (first recorded at "
    )
    assert len(result.stderr.splitlines()) == 1
    bad = ingested("lineage", "upstream", MODEL, "--as-of", "2026-01-01T00:00:00")
    assert bad.exit_code == 2
    assert "has no time zone (add Z or an offset)" in bad.stderr


def test_run_id_not_a_uuid_is_bad_input(ingested: Run) -> None:
    for run_id in ("", "notauuid"):
        result = ingested("lineage", "run", run_id)
        assert result.exit_code == 2
        assert result.stderr == (
            f"Error: {run_id!r} is not a run id: run ids are UUIDs such as {TRAIN_RUN}\n"
        )


def test_unknown_node_is_bad_input(ingested: Run) -> None:
    result = ingested("lineage", "upstream", "dataset:file:nope")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: no dataset file:nope in the audit store")


def test_ingest_rejections_exit_2(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"eventTime": "2026-01-01T00:00:00Z"}\n')
    result = cli("lineage", "ingest", path, "--strict")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Rejected: {path}:1: producer: is missing",
        "Error: 1 of 1 events rejected: nothing was stored",
    ]


def _event_line(time_text: str, run_id: str = TRAIN_RUN) -> str:
    return json.dumps(
        {
            "eventType": "START",
            "eventTime": time_text,
            "producer": "https://example.org/p",
            "schemaURL": "https://example.org/s",
            "run": {"runId": run_id},
            "job": {"namespace": "ns", "name": "train"},
        }
    )


def test_an_event_time_out_of_range_is_rejected_not_a_crash(cli: Run, tmp_path: Path) -> None:
    """0001-01-01T00:00:00+14:00 is valid RFC 3339 but before year 1 in UTC: was exit 3."""
    path = tmp_path / "e.jsonl"
    first = "0001-01-01T00:00:00+14:00"
    path.write_text(f"{_event_line(first)}\n{_event_line('2026-01-01T00:00:00Z')}\n")
    strict = cli("lineage", "ingest", path, "--strict")
    assert strict.exit_code == 2
    assert strict.stderr.splitlines() == [
        f"Rejected: {path}:1: eventTime: out of range: '{first}' is not between 0001-01-01 "
        "and 9999-12-31 in UTC",
        "Error: 1 of 2 events rejected: nothing was stored",
    ]
    assert not (tmp_path / "audit.db").exists()
    relaxed = cli("lineage", "ingest", path)
    assert relaxed.exit_code == 2
    assert relaxed.stdout.startswith("Read 2 events: 1 stored, 0 already recorded, 1 rejected")
    assert relaxed.stderr.splitlines()[-1].startswith(
        "Error: 1 of 2 events rejected (the valid ones were stored)"
    )
    with AuditStore.open(sqlite_url_for(tmp_path / "audit.db"), create=False) as store:
        assert len(list(store.entries(kind="openlineage.event"))) == 1


@pytest.mark.parametrize("option", ["--as-of", "--since", "--until"])
def test_a_time_option_out_of_range_is_bad_usage(ingested: Run, option: str) -> None:
    command = "history" if option != "--as-of" else "upstream"
    result = ingested("lineage", command, MODEL, option, "0001-01-01T00:00:00+14:00")
    assert result.exit_code == 2
    assert "out of range: '0001-01-01T00:00:00+14:00'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_nested_too_deeply_is_rejected(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 5000 + "]" * 5000)
    result = cli("lineage", "ingest", path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Rejected: {path}:1:2: malformed JSON: nested too deeply (the rest of the array is "
        "not read)",
        "Error: 1 of 1 events rejected: nothing was stored",
    ]


def test_only_invalid_events_create_and_write_nothing(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"x": 1}')
    store = tmp_path / "new" / "new.db"
    result = cli("lineage", "ingest", path, "--store", sqlite_url_for(store))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "Error: 1 of 1 events rejected: nothing was stored"
    assert not store.parent.exists()
    existing = tmp_path / "audit.db"
    AuditStore.open(sqlite_url_for(existing)).close()
    again = cli("lineage", "ingest", path)
    assert again.exit_code == 2
    with AuditStore.open(sqlite_url_for(existing), create=False) as opened:
        assert opened.verify().entries == 0  # no lineage.ingest entry either


def test_already_recorded_events_are_not_said_to_be_stored(cli: Run, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(_event_line("2026-01-01T00:00:00Z") + "\n")
    assert cli("lineage", "ingest", good).exit_code == 0
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(good.read_text() + '{"x": 1}\n')
    result = cli("lineage", "ingest", mixed)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: 1 of 2 events rejected: nothing new was stored "
        "(the valid ones were already recorded)"
    )


@pytest.mark.parametrize("piped", [b"", b"\n", b"\n \n"])
def test_empty_stdin_is_one_clear_error(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piped: bytes
) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(piped)))
    result = cli("lineage", "ingest", "-")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "Error: no events in <stdin>\n"
    assert not (tmp_path / "audit.db").exists()


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:x?mode=memory&uri=true"]
)
def test_an_in_memory_store_is_refused(cli: Run, tmp_path: Path, url: str) -> None:
    path = tmp_path / "good.jsonl"
    path.write_text(_event_line("2026-01-01T00:00:00Z") + "\n")
    result = cli("lineage", "ingest", path, "--store", url)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"Error: the audit store {url} is in memory and would vanish when governance exits: "
        "use a file, sqlite:///path/to/audit.db, or PostgreSQL\n"
    )


def test_the_sample_model_passes_the_lineage_policy(ingested: Run) -> None:
    result = ingested(
        "check", SAMPLE / "mitigated.yaml", "--policy", LINEAGE_POLICY, "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    outcomes = {f["check"]: (f["outcome"], f["measured"]) for f in record["findings"]}
    assert outcomes == {
        "lineage.training_data_traced": ("pass", 0),
        "lineage.facets_present": ("pass", 0),
        "lineage.code_version_recorded": ("pass", 0),
        "lineage.no_failed_runs": ("pass", 0),
    }


def test_the_sample_events_are_current() -> None:
    """Regenerating the events from the committed data and models changes nothing."""
    spec = importlib.util.spec_from_file_location("record_events", EVENTS / "record_events.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, items in module.events().items():
        assert (EVENTS / name).read_text(encoding="utf-8") == module.render(name, items), name


# -- forwarding through the gate --------------------------------------------------------------


def test_events_are_forwarded_to_a_file_transport(
    cli: Run,
    manifest_path: Path,
    policy_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "forwarded.jsonl"
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "file")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__LOG_FILE_PATH", str(target))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__APPEND", "true")
    result = cli("check", manifest_path, "--policy", policy_path)
    assert result.exit_code in (0, 1) and result.stderr == ""
    sent = [json.loads(line) for line in target.read_text().splitlines()]
    with AuditStore.open(sqlite_url_for(tmp_path / "audit.db"), create=False) as store:
        recorded = [e.payload for e in store.entries(kind="openlineage.event")]
    assert sent == recorded


def test_a_failing_transport_is_reported_and_the_record_kept(
    cli: Run,
    manifest_path: Path,
    policy_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unwritable = tmp_path / "missing-folder" / "events.jsonl"
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "file")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__LOG_FILE_PATH", str(unwritable))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__APPEND", "true")
    quiet = cli(
        "check",
        manifest_path,
        "--policy",
        policy_path,
        "--store",
        "sqlite:///" + str(tmp_path / "other.db"),
    )
    result = cli("check", manifest_path, "--policy", policy_path)
    assert result.exit_code == quiet.exit_code  # the verdict's exit code, unchanged
    assert result.stderr.startswith("Warning: OpenLineage forwarding to file transport failed")
    with AuditStore.open(sqlite_url_for(tmp_path / "audit.db"), create=False) as store:
        kinds = [e.kind for e in store.entries()]
        assert store.verify().ok
    assert kinds == [
        "openlineage.event",
        "evaluation",
        "openlineage.event",
        "openlineage.forward_failed",
    ]


def test_a_misconfigured_transport_stops_the_check_before_anything_is_written(
    cli: Run,
    manifest_path: Path,
    policy_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "http")
    result = cli("check", manifest_path, "--policy", policy_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: OpenLineage transport (from OPENLINEAGE__TRANSPORT__* environment variables) "
        "cannot be set up: `url` key not passed to HttpConfig"
    )
    assert not (tmp_path / "audit.db").exists()
