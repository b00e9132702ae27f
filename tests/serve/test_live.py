"""A real server on a loopback port, driven by real clients: openlineage-python and 20 threads."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
import requests

from governance.audit import AuditStore
from tests.serve.conftest import Keys, config_for, event


def test_openlineage_http_transport_delivers_events(
    live_server: Any, store_url: str, keys: Keys
) -> None:
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
    )
    from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport

    server = live_server(config_for(store_url, keys))
    transport = HttpTransport(
        HttpConfig(
            url=server.url,
            auth=ApiKeyTokenProvider({"apiKey": keys.ingest}),
            compression=None,
        )
    )
    client = OpenLineageClient(transport=transport)
    run = Run(runId=str(uuid.uuid4()))
    job = Job(namespace="airflow", name="daily.load_orders")
    for state, time in (
        (RunState.START, "2026-11-27T14:00:00Z"),
        (RunState.COMPLETE, "2026-11-27T14:05:00Z"),
    ):
        client.emit(
            RunEvent(
                eventType=state,
                eventTime=time,
                run=run,
                job=job,
                producer="https://github.com/apache/airflow/tree/providers-openlineage",
                inputs=[InputDataset(namespace="postgres://db:5432", name="public.orders")],
                outputs=[OutputDataset(namespace="s3://lake", name="orders/daily")],
            )
        )
    gzipped = HttpTransport(
        HttpConfig(
            url=server.url,
            auth=ApiKeyTokenProvider({"apiKey": keys.ingest}),
            compression="gzip",  # type: ignore[arg-type]
        )
    )
    OpenLineageClient(transport=gzipped).emit(
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime="2026-11-27T15:00:00Z",
            run=Run(runId=str(uuid.uuid4())),
            job=Job(namespace="airflow", name="daily.report"),
            producer="https://github.com/apache/airflow/tree/providers-openlineage",
            inputs=[InputDataset(namespace="s3://lake", name="orders/daily")],
        )
    )
    # Without a key, the transport's request fails (raise_for_status).
    anonymous = HttpTransport(HttpConfig(url=server.url))
    with pytest.raises(requests.HTTPError, match="401"):
        OpenLineageClient(transport=anonymous).emit(
            RunEvent(
                eventType=RunState.START,
                eventTime="2026-11-27T16:00:00Z",
                run=Run(runId=str(uuid.uuid4())),
                job=Job(namespace="airflow", name="never.stored"),
                producer="https://example.org/p",
            )
        )
    with AuditStore.open(store_url, create=False) as store:
        events = [entry.payload for entry in store.entries(kind="openlineage.event")]
        graph = store.lineage.traverse(
            store.lineage.resolve("dataset:s3://lake:orders/daily"), "both", depth=3
        )
    assert [(e["eventType"], e["job"]["name"]) for e in events] == [
        ("START", "daily.load_orders"),
        ("COMPLETE", "daily.load_orders"),
        ("COMPLETE", "daily.report"),
    ]
    assert {node.node.key for node in graph.nodes} == {
        "dataset:postgres://db:5432:public.orders",
        "job:airflow:daily.load_orders",
        "dataset:s3://lake:orders/daily",
        "job:airflow:daily.report",
    }
    answer = requests.get(
        f"{server.url}/api/v1/lineage",
        params={"nodeId": "dataset:s3://lake:orders/daily", "depth": 2},
        headers={"Authorization": f"Bearer {keys.read}"},
        timeout=10,
    )
    assert answer.status_code == 200
    job_node = next(n for n in answer.json()["graph"] if n["id"] == "job:airflow:daily.load_orders")
    assert job_node["data"]["inputs"] == [
        {"namespace": "postgres://db:5432", "name": "public.orders"}
    ]


CLIENTS = 20
EVENTS_EACH = 200


@pytest.mark.slow
def test_twenty_clients_two_hundred_events_each(live_server: Any, store_url: str) -> None:
    server = live_server(config_for(store_url))
    sent: dict[int, list[dict[str, Any]]] = {}
    failures: list[str] = []

    def client(number: int) -> None:
        session = requests.Session()
        events = [
            event(f"load.client{number}", outputs=[f"out{number}-{i}"], run_id=str(uuid.uuid4()))
            for i in range(EVENTS_EACH)
        ]
        sent[number] = events
        for index, item in enumerate(events):
            response = session.post(f"{server.url}/api/v1/lineage", json=item, timeout=60)
            if response.status_code != 201:
                failures.append(f"client {number} event {index}: {response.status_code}")
            if index % 50 == 0:  # a duplicate now and then: stored once
                session.post(f"{server.url}/api/v1/lineage", json=item, timeout=60)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with AuditStore.open(store_url, create=False) as store:
        stored_entries = list(store.entries(kind="openlineage.event"))
        stored = [entry.payload for entry in stored_entries]
        receipts = [entry.payload for entry in store.entries(kind="lineage.ingest")]
        report = store.verify()
    expected = [item for events in sent.values() for item in events]
    assert len(stored) == CLIENTS * EVENTS_EACH
    key = lambda item: item["run"]["runId"]  # noqa: E731
    assert sorted(map(key, stored)) == sorted(map(key, expected))
    assert report.ok, report.problem
    assert report.entries == CLIENTS * EVENTS_EACH + len(receipts)
    # every stored event is vouched for by exactly one receipt of the API
    vouched = sorted(
        seq for item in receipts for first, last in item["events"] for seq in range(first, last + 1)
    )
    assert vouched == [entry.seq for entry in stored_entries]
    assert {item["via"] for item in receipts} == {"api"}
