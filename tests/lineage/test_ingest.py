"""Ingest: any producer's events, validated, idempotent, with a per-line report."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from governance.audit import AuditStore
from governance.canonical import canonical_json
from governance.errors import LineageError
from governance.lineage.ingest import ingest
from governance.lineage.validate import MAX_EVENT_BYTES, MAX_NESTING, EventRejected, parse_event
from tests.lineage.producers import DAG_RUN, SPARK_RUN, TASK_RUN, pipeline
from tests.lineage.spec import spec_dir
from tests.store.conftest import run_event

REPO = Path(__file__).resolve().parents[2]
GOOD = "01937a2e-0000-7000-8000-000000000001"


def _lines(path: Path, events: list[Any]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda e: e["run"].pop("runId"), "run.runId: is missing"),
        (lambda e: e["run"].update(runId="run-42"), "run.runId: 'run-42' is not a UUID"),
        (lambda e: e.update(eventType="DONE"), "eventType: 'DONE' is not one of START, RUNNING"),
        (lambda e: e.update(eventTime="2026-01-01T00:00:00"), "has no time zone"),
        (lambda e: e.update(eventTime="yesterday"), "is not an RFC 3339 date-time"),
        (lambda e: e.update(eventTime="2026-02-30T00:00:00Z"), "is not a valid date-time"),
        (
            lambda e: e.update(eventTime="0001-01-01T00:00:00+14:00"),
            "eventTime: out of range: '0001-01-01T00:00:00+14:00' is not between 0001-01-01",
        ),
        (
            lambda e: e.update(eventTime="9999-12-31T23:30:00-01:00"),
            "eventTime: out of range: '9999-12-31T23:30:00-01:00'",
        ),
        (lambda e: e.pop("producer"), "producer: is missing"),
        (lambda e: e.update(schemaURL="not a uri"), "schemaURL: 'not a uri' is not a URI"),
        (lambda e: e.pop("job"), "job: is missing (a RunEvent needs run and job)"),
        (lambda e: e["job"].update(name=""), "job.name: must be a non-empty string"),
        (lambda e: e["job"].update(namespace="n" * 256), "job.namespace: is longer than 255"),
        (lambda e: e.update(inputs={"a": 1}), "inputs: must be an array, not an object"),
        (lambda e: e["run"].update(facets={"x": 3}), "run.facets: a facet must be an object"),
    ],
)
def test_invalid_events_are_rejected_with_the_field(change: Any, reason: str) -> None:
    event = run_event(GOOD)
    change(event)
    with pytest.raises(EventRejected) as caught:
        parse_event(event)
    assert reason in str(caught.value)


def test_nesting_is_limited_whatever_the_python_stack() -> None:
    def nested(levels: int) -> Any:
        value: Any = 1
        for _ in range(levels):
            value = [value]
        return value

    event = run_event(GOOD)
    event["run"]["facets"] = {"x": {"a": nested(MAX_NESTING - 4)}}  # event, run, facets, x
    parse_event(event)  # exactly MAX_NESTING levels deep
    event["run"]["facets"] = {"x": {"a": nested(MAX_NESTING - 3)}}
    with pytest.raises(EventRejected, match=f"nested too deeply: more than {MAX_NESTING} levels"):
        parse_event(event)


def test_event_kinds_are_told_by_their_fields() -> None:
    dataset = {
        "eventTime": "2026-01-01T00:00:00Z",
        "dataset": {"namespace": "ns", "name": "t"},
        "producer": "https://p",
        "schemaURL": "https://s",
    }
    assert parse_event(dataset).event_class == "dataset"
    job = {**dataset, "job": {"namespace": "ns", "name": "j"}}
    del job["dataset"]
    assert parse_event(job).event_class == "job"
    assert parse_event({**job, "run": {"runId": GOOD}}).event_class == "run"
    with pytest.raises(EventRejected, match="not an OpenLineage event"):
        parse_event({"eventTime": "2026-01-01T00:00:00Z", "producer": "p:", "schemaURL": "s:"})


def test_times_are_normalised_to_utc_and_nanoseconds_truncated() -> None:
    parsed = parse_event(run_event(GOOD, time="2024-05-01T02:00:00.123456789+02:00"))
    assert parsed.event_time == "2024-05-01T00:00:00.123456Z"
    naive = parse_event(run_event(GOOD, time="2024-05-01T02:00:00"), assume_utc=True)
    assert (naive.event_time, naive.time_assumed_utc) == ("2024-05-01T02:00:00.000000Z", True)


# -- ingest -----------------------------------------------------------------------------------


def test_spec_examples(store: AuditStore) -> None:
    examples = spec_dir() / "examples"
    strict = ingest(store, [examples])
    assert (strict.stored, len(strict.rejected)) == (2, 3)
    assert {r.reason.split(":")[0] for r in strict.rejected} == {"eventTime"}
    relaxed = ingest(store, [examples], assume_utc=True)
    assert (relaxed.stored, relaxed.duplicates, relaxed.rejected) == (3, 2, [])
    assert len(relaxed.assumed_utc) == 3
    # The examples without a zone are flagged in the projection, and kept verbatim.
    run = store.lineage.run("69f4acab-b87d-4fc0-b27b-8ea950370ff3")
    assert [e.time_assumed_utc for e in run.events] == [True]
    stored = [e.payload for e in store.entries(kind="openlineage.event")]
    original = json.loads((examples / "client_serde_example_run_event.json").read_text())
    assert original in stored


def test_airflow_and_spark_shaped_events(store: AuditStore, tmp_path: Path) -> None:
    report = ingest(store, [_lines(tmp_path / "events.jsonl", pipeline())])
    assert (report.stored, report.rejected) == (4, [])
    queries = store.lineage
    task = queries.run(TASK_RUN)
    assert task.summary.parent_run_id == DAG_RUN
    assert task.summary.state == "COMPLETE"
    assert set(task.run_facets) == {"parent", "nominalTime", "airflow"}  # unknown kept
    assert task.run_facets["airflow"]["task"]["task_id"] == "load_users"
    spark = queries.run(SPARK_RUN)
    assert spark.summary.started_at == "2024-05-01T00:00:00.123456Z"
    # The Spark input is the Airflow output under another name (symlink): one lineage graph.
    features = queries.resolve("dataset:s3://lake:features/users")
    upstream = queries.traverse(features, "upstream", depth=5)
    keys = {item.node.key for item in upstream.nodes}
    assert "dataset:s3://lake:warehouse/analytics/users" in keys
    alias = queries.resolve("dataset:postgres://db.internal:5432:app.analytics.users")
    facets = queries.facets([alias])[alias.key]
    assert facets["columnLineage"]["fields"]["email"]["inputFields"][0]["field"] == "email"


def test_json_lines_report_each_bad_line_and_store_the_rest(
    store: AuditStore, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps(run_event(GOOD)),
        "{not json",
        "",
        json.dumps(run_event("1234")),
        json.dumps(run_event(GOOD, "START", "2026-01-01T00:00:00Z")),
        json.dumps([1, 2]),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen: list[str] = []
    report = ingest(store, [path], on_event=lambda where, outcome: seen.append(where))
    assert report.stored == 2
    assert [(r.line, r.reason) for r in report.rejected] == [
        (2, "malformed JSON: Expecting property name enclosed in double quotes"),
        (4, "run.runId: '1234' is not a UUID"),
        (6, "an event must be a JSON object, not an array"),
    ]
    assert report.rejected[0].location == f"{path}:2:2"
    assert seen == [f"{path}:{n}" for n in ("1", "2:2", "4", "5", "6")]


def test_strict_stores_nothing_unless_every_event_is_valid(
    store: AuditStore, tmp_path: Path
) -> None:
    path = _lines(tmp_path / "e.jsonl", [run_event(GOOD), run_event("bad")])
    report = ingest(store, [path], strict=True)
    assert (report.stored, len(report.rejected)) == (0, 1)
    assert store.verify().entries == 0  # not even the ingest record
    ok = _lines(tmp_path / "ok.jsonl", [run_event(GOOD)])
    assert ingest(store, [ok], strict=True).stored == 1


def test_a_10_mb_facet_is_rejected(store: AuditStore, tmp_path: Path) -> None:
    event = run_event(GOOD)
    event["run"]["facets"] = {
        "huge": {"_producer": "https://p", "_schemaURL": "https://s", "blob": "x" * 10_000_000}
    }
    report = ingest(store, [_lines(tmp_path / "big.jsonl", [event, run_event(GOOD, "START")])])
    assert report.stored == 1
    (rejection,) = report.rejected
    assert rejection.line == 1
    assert f"more than the limit of {MAX_EVENT_BYTES}" in rejection.reason
    size = len(canonical_json(event["run"]["facets"]["huge"]))
    assert f"largest facet: run.facets.huge, {size} bytes" in rejection.reason


def test_json_arrays_single_objects_and_stdin(store: AuditStore, tmp_path: Path) -> None:
    array = tmp_path / "array.json"
    array.write_text(json.dumps([run_event(GOOD), run_event(GOOD, "START")], indent=2))
    single = tmp_path / "one.json"
    single.write_text(json.dumps(run_event(GOOD, "RUNNING"), indent=2))
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "eventTime": \n}')
    report = ingest(store, [array, single, broken])
    assert report.stored == 3
    assert [(r.source, r.line, r.column) for r in report.rejected] == [(str(broken), 3, 1)]
    piped = io.BytesIO(json.dumps(run_event(GOOD, "OTHER")).encode())
    from_stdin = ingest(store, ["-"], stdin=piped)
    assert from_stdin.stored == 1
    assert from_stdin.sources[0]["path"] == "<stdin>"


def test_missing_sources_are_usage_errors_and_store_nothing(
    store: AuditStore, tmp_path: Path
) -> None:
    with pytest.raises(LineageError, match="no such file or folder"):
        ingest(store, [_lines(tmp_path / "a.jsonl", [run_event(GOOD)]), tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(LineageError, match=r"no \*.json, \*.jsonl or \*.ndjson files"):
        ingest(store, [tmp_path / "empty"])
    assert store.verify().entries == 0


def test_an_event_time_out_of_range_is_one_rejection_among_others(
    store: AuditStore, tmp_path: Path
) -> None:
    """It used to abort the whole batch with an OverflowError (exit 3)."""
    path = tmp_path / "e.jsonl"
    early = run_event(GOOD, "START", "0001-01-01T00:00:00+14:00")
    _lines(path, [run_event(GOOD, "FAIL"), early, run_event(GOOD)])
    report = ingest(store, [path])
    assert report.stored == 2
    assert [(r.line, r.reason.split(":")[:2]) for r in report.rejected] == [
        (2, ["eventTime", " out of range"])
    ]
    strict = ingest(store, [path], strict=True)
    assert (strict.stored, len(strict.rejected)) == (0, 1)


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_json_nested_too_deeply_is_a_rejection(
    store: AuditStore, tmp_path: Path, suffix: str
) -> None:
    """5000 nested arrays used to be an internal error (RecursionError)."""
    path = tmp_path / f"deep{suffix}"
    path.write_text("[" * 5000 + "]" * 5000 + "\n")
    report = ingest(store, [path])
    ((line, reason),) = [(r.line, r.reason) for r in report.rejected]
    assert line == 1
    assert reason.startswith("malformed JSON: nested too deeply")
    assert store.verify().entries == 0


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_events_near_the_nesting_limit_are_stored_or_rejected(
    store: AuditStore, tmp_path: Path, suffix: str
) -> None:
    """Deep enough to read but maybe too deep to validate or store: never a RecursionError."""
    depths = range(900, 1000, 10)
    for depth in depths:
        event = run_event(GOOD, time=f"2026-01-01T00:00:{depth % 60:02d}Z")
        event["run"]["facets"] = {"deep": {"a": "X"}}
        text = json.dumps(event).replace('"X"', "[" * depth + "1e5" + "]" * depth)
        (tmp_path / f"{depth}{suffix}").write_text(text + "\n")
    report = ingest(store, [tmp_path])
    assert report.read == len(depths)
    assert report.stored + len(report.rejected) == len(depths)
    assert all("nested too deeply" in r.reason for r in report.rejected)


def test_no_valid_event_opens_no_store(tmp_path: Path) -> None:
    opened: list[bool] = []

    def open_store() -> AuditStore:
        opened.append(True)
        raise AssertionError("the store was opened")

    bad = _lines(tmp_path / "bad.jsonl", [run_event("bad"), {"eventTime": "now"}])
    report = ingest(open_store, [bad])
    assert (report.read, len(report.rejected), opened) == (2, 2, [])


@pytest.mark.parametrize("text", ["", "\n", "\n  \n\t\n"])
def test_no_events_at_all_is_an_error(store: AuditStore, tmp_path: Path, text: str) -> None:
    with pytest.raises(LineageError) as caught:
        ingest(store, ["-"], stdin=io.BytesIO(text.encode()))
    assert str(caught.value) == "no events in <stdin>"
    (tmp_path / "a.json").write_text(text)
    (tmp_path / "b.jsonl").write_text(text)
    with pytest.raises(LineageError, match=f"^no events in {tmp_path}$"):
        ingest(store, [tmp_path])
    assert store.verify().entries == 0


def test_blank_lines_around_events_are_skipped(store: AuditStore) -> None:
    piped = io.BytesIO(("\n\n" + json.dumps(run_event(GOOD)) + "\n\n").encode())
    report = ingest(store, ["-"], stdin=piped)
    assert (report.read, report.stored, report.rejected) == (1, 1, [])


def test_each_ingest_is_recorded_with_its_sources(store: AuditStore, tmp_path: Path) -> None:
    path = _lines(tmp_path / "a.jsonl", [run_event(GOOD)])
    ingest(store, [path])
    ingest(store, [path])
    records = [e.payload for e in store.entries(kind="lineage.ingest")]
    assert [(r["stored"], r["duplicates"]) for r in records] == [(1, 0), (0, 1)]
    assert records[0]["sources"][0]["sha256"] == records[1]["sources"][0]["sha256"]


# -- an ingest killed half-way ----------------------------------------------------------------

EVENTS = 20_000


@pytest.mark.slow
def test_an_ingest_killed_with_sigkill_resumes_without_duplicates(
    tmp_path: Path, store_url: str
) -> None:
    events = [
        run_event(
            f"01937a2e-0000-7000-8000-{n:012d}",
            time="2026-01-01T00:00:00Z",
            job=f"job{n % 50}",
            inputs=(f"in{n % 300}",),
            outputs=(f"out{n}",),
        )
        for n in range(EVENTS)
    ]
    path = _lines(tmp_path / "big.jsonl", events)
    url = store_url  # a fresh SQLite file or PostgreSQL database
    command = [sys.executable, "-m", "governance", "lineage", "ingest", str(path), "--store", url]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        try:
            with AuditStore.open(url, create=False) as store:
                head = store.head()
            stored = 0 if head is None else head.seq
        except Exception:  # the store may not exist yet
            continue
        if stored >= 3000:
            break
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    assert process.returncode == -signal.SIGKILL, "the ingest finished before it was killed"
    assert 0 < stored < EVENTS

    with AuditStore.open(url, create=False) as store:
        assert store.verify().ok
        committed = [e.payload for e in store.entries(kind="openlineage.event")]
    assert 0 < len(committed) < EVENTS
    assert committed == events[: len(committed)]  # every committed event whole, in order

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{EVENTS - len(committed)} stored, {len(committed)} already recorded" in rerun.stdout
    with AuditStore.open(url, create=False) as store:
        assert store.verify().ok
        payloads = [e.payload for e in store.entries(kind="openlineage.event")]
    assert payloads == events


def test_an_event_listing_the_same_output_twice_is_stored_once_per_dataset(
    store: AuditStore, tmp_path: Path
) -> None:
    output = {"namespace": "warehouse", "name": "features"}
    job_event = {
        "eventTime": "2026-11-20T09:00:00Z",
        "producer": "https://example.org/producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
        "job": {"namespace": "etl", "name": "publish"},
        "inputs": [],
        "outputs": [output, dict(output)],
    }
    path = tmp_path / "job.json"
    path.write_text(json.dumps(job_event))
    report = ingest(store, [path])
    assert report.stored == 1 and not report.rejected
    assert store.verify().ok


def test_a_single_object_file_with_nan_is_rejected_not_a_crash(
    store: AuditStore, tmp_path: Path
) -> None:
    path = tmp_path / "nan.json"
    path.write_text('{"eventTime": NaN}')
    report = ingest(store, [path])
    assert report.stored == 0
    assert len(report.rejected) == 1


def test_events_with_floats_in_any_form_are_stored_canonical_and_verify(
    store: AuditStore, tmp_path: Path
) -> None:
    """Producers write 1500.00, 1E2 or 0.0000001: stored as canonical JSON writes them."""
    path = tmp_path / "floats.jsonl"
    event = json.dumps(run_event(GOOD, outputs=("t",)))
    quality = '{"rowCount": 1500.00, "bytes": 1E2, "nullRatio": 0.0000001, "mean": 2.50}'
    line = event[:-1] + ', "run": {"runId": "' + GOOD + '", "facets": {"q": ' + quality + "}}}"
    path.write_text(line + "\n", encoding="utf-8")
    report = ingest(store, [path])
    assert (report.stored, report.rejected) == (1, [])
    [entry] = list(store.entries(kind="openlineage.event"))
    assert '"q":{"bytes":100,"mean":2.5,"nullRatio":1e-7,"rowCount":1500}' in entry.payload_json
    assert entry.payload_json == canonical_json(json.loads(line))
    assert store.verify().ok
    run = store.lineage.run(GOOD)
    assert run.run_facets["q"] == {"rowCount": 1500, "bytes": 100, "nullRatio": 1e-7, "mean": 2.5}


def test_ingested_projections_equal_a_rebuild_from_the_log(
    store: AuditStore, store_url: str, tmp_path: Path
) -> None:
    """Ingest projects events it has just read (fast writers); a rebuild reads the log."""
    from sqlalchemy import create_engine, select

    from governance.store.tables import metadata

    described = {
        "eventTime": "2024-05-02T00:00:00Z",
        "producer": "https://example.org/p",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": {
            "namespace": "s3://lake",
            "name": "features/users",
            "facets": {"stats": {"_producer": "p:", "_schemaURL": "s:", "mean": 0.25, "n": 3}},
        },
    }
    events = [*pipeline(), described, run_event(GOOD, inputs=("features/users",), job="é😀")]
    report = ingest(store, [_lines(tmp_path / "events.jsonl", events)], batch_size=2)
    assert report.stored == len(events)

    def projections() -> dict[str, list[tuple[Any, ...]]]:
        engine = create_engine(store_url)
        try:
            with engine.connect() as conn:
                return {
                    table.name: sorted(tuple(row) for row in conn.execute(select(table)))
                    for table in metadata.sorted_tables
                    if table.name.startswith("lineage_")
                }
        finally:
            engine.dispose()

    ingested = projections()
    assert all(ingested.values())  # every lineage table has rows
    store.rebuild_projections()
    assert projections() == ingested


def test_the_exit_rule_of_an_ingest_is_the_librarys(store: AuditStore, tmp_path: Path) -> None:
    """IngestReport.failure: what `lineage ingest` exits with, for a notebook or a service too."""
    good, bad = run_event(GOOD), run_event("1234")
    mixed = _lines(tmp_path / "mixed.jsonl", [good, bad])
    assert ingest(store, [_lines(tmp_path / "good.jsonl", [good])]).failure() is None

    again = ingest(store, [mixed]).failure()  # the valid one is already recorded
    assert isinstance(again, LineageError) and again.exit_code == 2
    assert again.message == (
        "1 of 2 events rejected: nothing new was stored (the valid ones were already recorded)"
    )
    other = run_event("01937a2e-0000-7000-8000-0000000000c1")
    some = ingest(store, [_lines(tmp_path / "some.jsonl", [other, bad])]).failure()
    assert (
        some is not None and some.message == "1 of 2 events rejected (the valid ones were stored)"
    )
    assert some.hint == "--strict stores nothing unless every event is valid"
    strict = ingest(store, [mixed], strict=True).failure()
    assert strict is not None and strict.message == "1 of 2 events rejected: nothing was stored"
