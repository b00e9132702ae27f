"""The API answers what a Marquez client and an auditor expect, from the store's contents."""

from __future__ import annotations

import gzip
import json
from typing import Any

from governance.audit import AuditStore
from tests.serve.conftest import Seeded, config_for, event


def test_post_one_event_stores_it_and_answers_201(client_for: Any, store_url: str) -> None:
    client = client_for(config_for(store_url))
    posted = event(inputs=["raw"], outputs=["clean"])
    response = client.post("/api/v1/lineage", json=posted)
    assert response.status_code == 201
    assert response.json()["stored"] == 1
    with AuditStore.open(store_url, create=False) as store:
        stored = list(store.entries(kind="openlineage.event"))
    assert [entry.payload for entry in stored] == [posted]


def test_the_same_event_twice_is_stored_once(client_for: Any, store_url: str) -> None:
    client = client_for(config_for(store_url))
    posted = event(inputs=["raw"], outputs=["clean"])
    first = client.post("/api/v1/lineage", json=posted).json()
    second = client.post("/api/v1/lineage", json=posted).json()
    assert (first["stored"], first["duplicates"]) == (1, 0)
    assert (second["stored"], second["duplicates"]) == (0, 1)
    with AuditStore.open(store_url, create=False) as store:
        assert len(list(store.entries(kind="openlineage.event"))) == 1


def test_an_array_json_lines_and_gzip_are_accepted(client_for: Any, store_url: str) -> None:
    client = client_for(config_for(store_url))
    batch = [event(f"job{i}", outputs=[f"d{i}"]) for i in range(3)]
    assert client.post("/api/v1/lineage", json=batch).json()["stored"] == 3
    lines = "\n".join(json.dumps(event(f"line{i}")) for i in range(2))
    response = client.post(
        "/api/v1/lineage", content=lines, headers={"Content-Type": "application/json"}
    )
    assert response.json()["stored"] == 2
    packed = gzip.compress(json.dumps(event("zipped")).encode())
    response = client.post(
        "/api/v1/lineage",
        content=packed,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 201
    assert response.json()["stored"] == 1


def test_batch_endpoint_answers_204_as_marquez(client_for: Any, store_url: str) -> None:
    client = client_for(config_for(store_url))
    response = client.post("/api/v1/lineage/batch", json=[event("a"), event("b")])
    assert response.status_code == 204
    assert client.post("/api/v1/lineage/batch", json=event("c")).status_code == 400
    with AuditStore.open(store_url, create=False) as store:
        assert len(list(store.entries(kind="openlineage.event"))) == 2


def test_lineage_graph_has_marquez_shape(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url))
    response = client.get(
        "/api/v1/lineage", params={"nodeId": "dataset:warehouse:features.adult", "depth": 5}
    )
    assert response.status_code == 200
    nodes = {node["id"]: node for node in response.json()["graph"]}
    assert set(nodes) == {
        "dataset:warehouse:raw.adult",
        "job:warehouse:etl.clean",
        "dataset:warehouse:clean.adult",
        "job:warehouse:etl.features",
        "dataset:warehouse:features.adult",
        "job:warehouse:ml.train",
        "dataset:warehouse:models.adult",
    }
    features = nodes["job:warehouse:etl.features"]
    assert features["type"] == "JOB"
    assert features["inEdges"] == [
        {"origin": "dataset:warehouse:clean.adult", "destination": "job:warehouse:etl.features"}
    ]
    assert features["data"]["inputs"] == [{"namespace": "warehouse", "name": "clean.adult"}]
    assert features["data"]["latestRun"]["state"] == "COMPLETED"
    dataset = nodes["dataset:warehouse:features.adult"]["data"]
    assert dataset["fields"] == [{"name": "age", "type": "int64", "tags": []}]


def test_lineage_depth_limits_the_graph(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url))
    response = client.get(
        "/api/v1/lineage", params={"nodeId": "job:warehouse:etl.features", "depth": 1}
    )
    ids = {node["id"] for node in response.json()["graph"]}
    assert "job:warehouse:etl.features" in ids
    assert "job:warehouse:etl.clean" in ids and "job:warehouse:ml.train" in ids
    assert "dataset:warehouse:raw.adult" in ids
    assert "dataset:warehouse:models.adult" in ids


def test_unknown_node_is_404_and_malformed_node_is_400(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url))
    missing = client.get("/api/v1/lineage", params={"nodeId": "dataset:warehouse:nope"})
    assert missing.status_code == 404
    assert missing.json() == {
        "code": 404,
        "message": "no dataset warehouse:nope in the audit store",
    }
    assert client.get("/api/v1/lineage", params={"nodeId": "table:x"}).status_code == 400
    assert client.get("/api/v1/lineage").status_code == 400
    too_deep = client.get("/api/v1/lineage", params={"nodeId": "job:a:b", "depth": 0})
    assert too_deep.status_code == 400
    assert too_deep.json()["code"] == 400


def test_namespaces_jobs_datasets_and_runs(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url))
    names = [item["name"] for item in client.get("/api/v1/namespaces").json()["namespaces"]]
    assert names == sorted(names)
    assert {"warehouse", "governance", "file"} <= set(names)
    jobs = client.get("/api/v1/namespaces/warehouse/jobs").json()
    assert jobs["totalCount"] == 3
    assert [job["name"] for job in jobs["jobs"]] == ["etl.clean", "etl.features", "ml.train"]
    page = client.get("/api/v1/namespaces/warehouse/jobs", params={"limit": 1, "offset": 1})
    assert [job["name"] for job in page.json()["jobs"]] == ["etl.features"]
    datasets = client.get("/api/v1/namespaces/warehouse/datasets").json()
    assert datasets["totalCount"] == 4
    one = client.get("/api/v1/namespaces/warehouse/datasets/clean.adult").json()
    assert one["id"] == {"namespace": "warehouse", "name": "clean.adult"}
    runs = client.get("/api/v1/namespaces/warehouse/jobs/etl.clean/runs").json()
    assert runs["totalCount"] == 1
    run = runs["runs"][0]
    assert run["state"] == "COMPLETED"
    detail = client.get(f"/api/v1/jobs/runs/{run['id']}").json()
    assert detail["outputVersions"] == [{"namespace": "warehouse", "name": "clean.adult"}]
    assert client.get("/api/v1/jobs/runs/01937a2e-0000-7000-8000-999999999999").status_code == 404


def test_events_are_returned_as_received(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url))
    newest = client.get("/api/v1/events/lineage", params={"limit": 2}).json()
    assert newest["totalCount"] == 8
    times = [item["eventTime"] for item in newest["events"]]
    assert times == sorted(times, reverse=True)
    window = client.get(
        "/api/v1/events/lineage",
        params={
            "after": "2026-11-27T14:01:00Z",
            "before": "2026-11-27T14:02:00Z",
            "sortDirection": "asc",
        },
    ).json()
    assert [item["eventTime"] for item in window["events"]] == [
        "2026-11-27T14:01:00.000Z",
        "2026-11-27T14:02:00.000Z",
    ]
    bad = client.get("/api/v1/events/lineage", params={"after": "yesterday"})
    assert bad.status_code == 400


def test_evaluations_findings_and_models(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url))
    record = seeded.record
    models = client.get("/api/v1/models").json()["models"]
    assert [(m["name"], m["evaluations"], m["latest"]["verdict"]) for m in models] == [
        ("adult-income", 1, record["verdict"])
    ]
    listed = client.get("/api/v1/evaluations", params={"model": "adult-income"}).json()
    assert listed["evaluations"][0]["evaluationId"] == record["evaluation_id"]
    assert client.get(f"/api/v1/evaluations/{record['evaluation_id']}").json() == record
    findings = client.get(f"/api/v1/evaluations/{record['evaluation_id']}/findings").json()
    assert findings["findings"] == record["findings"]
    assert client.get("/api/v1/evaluations/not-an-evaluation").status_code == 404


def test_report_download_serves_only_recorded_files(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url, reports_dirs=(seeded.report_path.parent,)))
    listed = client.get("/api/v1/reports").json()["reports"]
    assert [item["entrySeq"] for item in listed] == [seeded.report_seq]
    response = client.get(listed[0]["download"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content == seeded.report_bytes
    # Another entry is not a report, and the path never comes from the request.
    assert client.get("/api/v1/reports/1/pdf").status_code == 404
    assert client.get("/api/v1/reports/..%2F..%2Fetc%2Fpasswd/pdf").status_code == 404
    assert client.get("/api/v1/reports/x/pdf").status_code == 400
    seeded.report_path.write_bytes(seeded.report_bytes + b"appended")
    changed = client.get(listed[0]["download"])
    assert changed.status_code == 409
    assert "changed since it was recorded" in changed.json()["message"]


def test_audit_verify_and_log(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url))
    status = client.get("/api/v1/audit/verify").json()
    assert status["ok"] is True
    assert status["entries"] == 10
    page = client.get("/api/v1/audit/log", params={"after": 2, "limit": 3}).json()
    assert [entry["seq"] for entry in page["entries"]] == [3, 4, 5]
    assert page["next"] == 5
    assert page["entries"][0]["kind"] == "openlineage.event"


def test_tampering_shows_in_verify(client_for: Any, seeded: Seeded, tmp_path: Any) -> None:
    import sqlite3

    database = seeded.url.removeprefix("sqlite:///")
    conn = sqlite3.connect(database)
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    triggers = [
        row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
    ]
    for name in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute(
        "UPDATE audit_log SET payload = replace(payload, 'failed', 'passed') WHERE seq = 2"
    )
    conn.commit()
    conn.close()
    client = client_for(config_for(seeded.url))
    status = client.get("/api/v1/audit/verify").json()
    assert status["ok"] is False
    assert status["firstBadSeq"] == 2
    record = client.get(f"/api/v1/evaluations/{seeded.record['evaluation_id']}")
    assert record.status_code == 409
