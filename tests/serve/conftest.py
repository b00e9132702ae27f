"""Fixtures for governance serve: a seeded store, keys, an in-process client and a live server."""

from __future__ import annotations

import copy
import hashlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from governance.audit import AuditStore
from governance.lineage import complete_event, start_event
from governance.serve.config import ServeConfig
from governance.serve.keys import add_key, load_keys
from governance.store import sqlite_url_for
from tests.cli.conftest import run  # noqa: F401 - the CLI fixture, for test_cli

REPO = Path(__file__).resolve().parents[2]
PRODUCER = "https://example.org/producer/1.0"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
CHART = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
    '<rect x="0" y="10" width="40" height="20" fill="#2f6f9f"/><text x="50" y="25">0.31</text>'
    "</svg>"
)
PIPELINE = [  # job, inputs, outputs: raw -> clean -> features -> model
    ("etl.clean", ["raw.adult"], ["clean.adult"]),
    ("etl.features", ["clean.adult"], ["features.adult"]),
    ("ml.train", ["features.adult"], ["models.adult"]),
]


def event(
    job: str = "etl.clean",
    *,
    inputs: list[str] | None = None,
    outputs: list[str] | None = None,
    run_id: str | None = None,
    event_type: str = "COMPLETE",
    time_text: str = "2026-11-27T14:00:00.000Z",
    namespace: str = "warehouse",
) -> dict[str, Any]:
    """A valid RunEvent of ``namespace:job`` reading and writing datasets of the same namespace."""
    return {
        "eventType": event_type,
        "eventTime": time_text,
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": run_id or str(uuid.uuid4())},
        "job": {"namespace": namespace, "name": job},
        "inputs": [{"namespace": namespace, "name": name} for name in inputs or []],
        "outputs": [
            {
                "namespace": namespace,
                "name": name,
                "facets": {
                    "schema": {
                        "_producer": PRODUCER,
                        "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
                        "fields": [{"name": "age", "type": "int64"}],
                    }
                },
            }
            for name in outputs or []
        ],
    }


def pipeline_events() -> list[dict[str, Any]]:
    events = []
    for index, (job, inputs, outputs) in enumerate(PIPELINE):
        run_id = f"01937a2e-0000-7000-8000-{index:012d}"
        events.append(event(job, inputs=inputs, outputs=outputs, run_id=run_id, event_type="START"))
        events.append(
            event(
                job,
                inputs=inputs,
                outputs=outputs,
                run_id=run_id,
                time_text=f"2026-11-27T14:0{index + 1}:00.000Z",
            )
        )
    return events


def evaluation_record() -> dict[str, Any]:
    record = json.loads((REPO / "tests" / "reporting" / "evaluation.json").read_text())
    record = copy.deepcopy(record)
    record["findings"][0]["charts"] = [{"title": "Selection rate by sex", "svg": CHART}]
    return record


@dataclass
class Seeded:
    url: str
    record: dict[str, Any]
    report_seq: int
    report_path: Path
    report_bytes: bytes


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return sqlite_url_for(tmp_path / "audit.db")


@pytest.fixture
def seeded(tmp_path: Path, store_url: str) -> Seeded:
    """A store with an evaluation (and its check's events), a report, and a small pipeline."""
    return seed_store(tmp_path, store_url)


def seed_store(tmp_path: Path, store_url: str) -> Seeded:
    record = evaluation_record()
    report = tmp_path / "reports" / "adult-income.pdf"
    report.parent.mkdir()
    data = b"%PDF-1.7\n% governance test report\n%%EOF\n"
    report.write_bytes(data)
    with AuditStore.open(store_url) as store:
        store.append_events([start_event(record)])
        store.append("evaluation", record)
        store.append_events([complete_event(record)])
        entry = store.append(
            "report",
            {
                "evaluation_id": record["evaluation_id"],
                "path": str(report),
                "digest": hashlib.sha256(data).hexdigest(),
                "signed": False,
            },
        )
        store.append_events(pipeline_events())
    return Seeded(store_url, record, entry.seq, report, data)


@dataclass
class Keys:
    path: Path
    ingest: str
    read: str
    both: str


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    return make_keys(tmp_path)


def make_keys(tmp_path: Path) -> Keys:
    path = tmp_path / "keys.json"
    ingest, _ = add_key(path, ["ingest"], name="airflow")
    read, _ = add_key(path, ["read"], name="auditor")
    both, _ = add_key(path, ["ingest", "read"], name="admin")
    return Keys(path, ingest, read, both)


def config_for(url: str, keys: Keys | None = None, **options: Any) -> ServeConfig:
    ring = load_keys(keys.path) if keys else load_keys(Path("/nonexistent/keys.json"))
    return ServeConfig(store_url=url, keys=ring, **options)


@pytest.fixture
def client_for() -> Iterator[Any]:
    """``client_for(config)``: an in-process client (the app's lifespan runs)."""
    from fastapi.testclient import TestClient

    from governance.serve.app import create_app

    opened: list[Any] = []

    def make(config: ServeConfig) -> Any:
        # A loopback name, as a local client sends it (the server answers no other unless told).
        client = TestClient(
            create_app(config), base_url="http://localhost", raise_server_exceptions=True
        )
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    server: Any
    thread: threading.Thread


def start_server(config: ServeConfig) -> LiveServer:
    """uvicorn serving the app on a free loopback port, in a thread."""
    import uvicorn

    from governance.serve.app import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    return LiveServer(f"http://127.0.0.1:{port}", server, thread)


def stop_server(live: LiveServer) -> None:
    live.server.should_exit = True
    live.thread.join(timeout=15)


@pytest.fixture
def live_server() -> Iterator[Any]:
    """``live_server(config)``: a running server, stopped after the test."""
    started: list[LiveServer] = []

    def start(config: ServeConfig) -> LiveServer:
        live = start_server(config)
        started.append(live)
        return live

    yield start
    for live in started:
        stop_server(live)
