"""Bad requests get the right 4xx with a JSON body, nothing is stored, and the server goes on."""

from __future__ import annotations

import gzip
import html
import json
import logging
from typing import Any

import pytest

from governance.audit import AuditStore
from governance.lineage.validate import EventRejected, parse_event_time
from tests.serve.conftest import Keys, config_for, event


def stored_events(url: str) -> int:
    with AuditStore.open(url, create=False) as store:
        return len(list(store.entries(kind="openlineage.event")))


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("body", "headers", "status", "message"),
    [
        (b'{"eventType": "START",', JSON, 400, "line 1, column 23: malformed JSON"),
        (b"", JSON, 400, "the body holds no event"),
        (b"\n \n", JSON, 400, "the body holds no event"),
        (b"[]", JSON, 400, "the body holds no event"),
        (b'"an event"', JSON, 400, "an event must be a JSON object, not a string"),
        (b'{"eventTime": NaN}', JSON, 400, "NaN is not valid JSON"),
        (
            json.dumps(event()).encode(),
            {"Content-Type": "text/plain"},
            415,
            "the body must be JSON (Content-Type: application/json), not text/plain",
        ),
        (json.dumps(event()).encode(), {}, 415, "not none"),
        (
            json.dumps(event()).encode(),
            {**JSON, "Content-Encoding": "br"},
            415,
            "Content-Encoding br is not supported",
        ),
        (b"not gzip", {**JSON, "Content-Encoding": "gzip"}, 400, "not valid gzip"),
    ],
)
def test_malformed_bodies(
    client_for: Any, store_url: str, body: bytes, headers: dict[str, str], status: int, message: str
) -> None:
    client = client_for(config_for(store_url))
    response = client.post("/api/v1/lineage", content=body, headers=headers)
    assert response.status_code == status
    answer = response.json()
    assert answer["code"] == status
    assert message in answer["message"]
    assert stored_events(store_url) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e["run"].update(runId="not-a-uuid"), "run.runId: 'not-a-uuid' is not a UUID"),
        (lambda e: e["run"].pop("runId"), "run.runId: is missing"),
        (lambda e: e.update(eventType="FINISHED"), "eventType: 'FINISHED' is not one of"),
        (lambda e: e.update(eventTime="2026-11-27T14:00:00"), "has no time zone"),
        (lambda e: e["job"].pop("namespace"), "job.namespace: is missing"),
    ],
)
def test_one_invalid_event_rejects_the_whole_request(
    client_for: Any, store_url: str, change: Any, message: str
) -> None:
    client = client_for(config_for(store_url))
    bad = event("bad")
    change(bad)
    response = client.post("/api/v1/lineage", json=[event("good"), bad])
    assert response.status_code == 400
    assert response.json()["message"].startswith("event 2 (line 1, column ")
    assert message in response.json()["message"]
    assert stored_events(store_url) == 0
    assert client.post("/api/v1/lineage", json=event("good")).status_code == 201


@pytest.mark.parametrize(
    "time_text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59.999999-00:30"]
)
def test_an_event_time_out_of_range_in_utc_is_400(
    client_for: Any, store_url: str, time_text: str
) -> None:
    """Valid RFC 3339, but before year 1 or after 9999 once in UTC: was a 500 with a traceback."""
    client = client_for(config_for(store_url))
    response = client.post("/api/v1/lineage", json=[event("good"), event(time_text=time_text)])
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("event 2 (line 1, column ")
    assert f"eventTime: out of range: {time_text!r}" in message
    assert stored_events(store_url) == 0
    assert client.post("/api/v1/lineage", json=event()).status_code == 201


def test_a_time_bound_out_of_range_in_utc_is_400(client_for: Any, store_url: str) -> None:
    client = client_for(config_for(store_url))
    bound = "9999-12-31T23:59:59-01:00"
    response = client.get("/api/v1/events/lineage", params={"before": bound})
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"before: out of range: {bound!r}")


@pytest.mark.parametrize("depth", [5000, 980, 70])
def test_events_nested_too_deeply_are_400(client_for: Any, store_url: str, depth: int) -> None:
    """Too deep to read, or readable but too deep to store: 400 either way, never a 500."""
    client = client_for(config_for(store_url))
    deep = json.dumps(event()).replace('"etl.clean"}', '"etl.clean", "facets": {"x": {"a": X}}}')
    body = deep.replace("X", "[" * depth + "1.5" + "]" * depth).encode()
    response = client.post("/api/v1/lineage", content=body, headers=JSON)
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["message"]
    assert stored_events(store_url) == 0


def test_a_time_without_a_zone_gets_the_hint_that_applies(client_for: Any, store_url: str) -> None:
    """A query bound can only add a zone; an event can also be read as UTC by the server's
    option (the message named the ingest command's); the ingest command keeps its own hint."""
    client = client_for(config_for(store_url))
    naive = "2024-01-01T00:00:00"
    response = client.get("/api/v1/events/lineage", params={"after": naive})
    assert response.status_code == 400
    assert response.json()["message"] == f"after: {naive!r} has no time zone (add Z or an offset)"
    response = client.post("/api/v1/lineage", json=event(time_text=naive))
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"eventTime: {naive!r} has no time zone (add Z or an offset, or start the server with "
        "governance serve --assume-utc to read it as UTC)"
    )
    with pytest.raises(EventRejected, match=r"or ingest with --assume-utc to read it as UTC\)$"):
        parse_event_time(naive)


def test_assume_utc_accepts_events_without_a_zone(client_for: Any, store_url: str) -> None:
    client = client_for(config_for(store_url, assume_utc=True))
    naive = event(time_text="2026-11-27T14:00:00")
    assert client.post("/api/v1/lineage", json=naive).status_code == 201


def test_oversize_bodies_are_refused_before_reading(client_for: Any, store_url: str) -> None:
    client = client_for(config_for(store_url, max_body=4096))
    big = event(inputs=[f"input-{i}" for i in range(200)])
    response = client.post("/api/v1/lineage", json=big)
    assert response.status_code == 413
    assert response.json() == {
        "code": 413,
        "message": "the request body is larger than the limit of 4096 bytes",
    }

    def chunks() -> Any:  # no Content-Length: counted while read
        data = json.dumps(big).encode()
        for start in range(0, len(data), 1000):
            yield data[start : start + 1000]

    chunked = client.post("/api/v1/lineage", content=chunks(), headers=JSON)
    assert chunked.status_code == 413
    bomb = gzip.compress(b"[" + b" " * 100_000 + b"]")
    inflated = client.post(
        "/api/v1/lineage", content=bomb, headers={**JSON, "Content-Encoding": "gzip"}
    )
    assert inflated.status_code == 413
    assert stored_events(store_url) == 0
    assert client.post("/api/v1/lineage", json=event()).status_code == 201


def test_an_event_over_the_ingest_limit_is_413(client_for: Any, store_url: str) -> None:
    client = client_for(config_for(store_url, max_body=16 * 1024 * 1024))
    huge = event()
    huge["run"]["facets"] = {
        "big": {"_producer": "x:y", "_schemaURL": "x:y", "blob": "x" * (5 * 1024 * 1024)}
    }
    response = client.post("/api/v1/lineage", json=huge)
    assert response.status_code == 413
    assert "largest facet: run.facets.big" in response.json()["message"]
    assert stored_events(store_url) == 0


# -- keys and scopes -------------------------------------------------------------------------


def test_keys_and_scopes(client_for: Any, store_url: str, keys: Keys) -> None:
    client = client_for(config_for(store_url, keys))
    posted = event()

    def post(token: str | None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.post("/api/v1/lineage", json=posted, headers=headers)

    missing = post(None)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="governance"'
    assert missing.json()["message"] == "an API key is required (Authorization: Bearer <key>)"
    assert post("gov_00000000_wrong").status_code == 401
    assert post(keys.read).status_code == 403
    assert stored_events(store_url) == 0
    assert post(keys.ingest).status_code == 201
    assert post(keys.both).status_code == 201

    graph = "/api/v1/namespaces"
    assert client.get(graph).status_code == 401
    assert client.get(graph, headers={"Authorization": f"Bearer {keys.ingest}"}).status_code == 403
    assert client.get(graph, headers={"Authorization": f"Bearer {keys.read}"}).status_code == 200
    malformed = client.get(graph, headers={"Authorization": "Token abc"})
    assert malformed.status_code == 401


def test_web_view_asks_browsers_for_the_key(client_for: Any, store_url: str, keys: Keys) -> None:
    client = client_for(config_for(store_url, keys))
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 401
    assert page.headers["www-authenticate"] == 'Basic realm="governance"'
    assert "text/html" in page.headers["content-type"]
    assert client.get("/", auth=("auditor", keys.read)).status_code == 200
    assert client.get("/", auth=("auditor", keys.ingest)).status_code == 403


def test_rejections_are_logged_without_secrets(
    client_for: Any, store_url: str, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for(config_for(store_url, keys))
    caplog.set_level(logging.INFO)
    secret = keys.read + "tampered"
    client.post("/api/v1/lineage", json=event(), headers={"Authorization": f"Bearer {secret}"})
    client.post("/api/v1/lineage", json=event(), headers={"Authorization": f"Bearer {keys.read}"})
    client.get("/api/v1/namespaces", auth=("someone", secret))
    rejected = [r.getMessage() for r in caplog.records if r.name == "governance.serve"]
    assert rejected == [
        "rejected POST /api/v1/lineage from testclient:50000: 401 the API key is not valid",
        "rejected POST /api/v1/lineage from testclient:50000: 403 the API key does not have "
        "the ingest scope",
        "rejected GET /api/v1/namespaces from testclient:50000: 401 the API key is not valid",
    ]
    everything = caplog.text
    assert keys.read not in everything
    assert "Bearer" not in everything.replace("Authorization: Bearer <key>", "")


def test_health_needs_no_key(client_for: Any, store_url: str, keys: Keys) -> None:
    client = client_for(config_for(store_url, keys))
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    assert client.get("/api/v1/openapi.json").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/models", "GET"),
        ("PUT", "/api/v1/lineage", "GET, POST"),
        ("DELETE", "/api/v1/lineage", "GET, POST"),
        ("POST", "/audit", "GET"),
        ("DELETE", "/static/app.css", "GET, HEAD"),
    ],
)
def test_a_wrong_method_is_405_naming_the_allowed_ones(
    client_for: Any, store_url: str, method: str, path: str, allowed: str
) -> None:
    """The Allow header and the message list the path's methods (both were empty)."""
    client = client_for(config_for(store_url))
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.json() == {
        "code": 405,
        "message": f"{method} is not allowed here (allowed: {allowed})",
    }


def _log_of(client: Any, entries: int) -> None:
    """A log of ``entries`` entries: one POST of that many events less its receipt."""
    response = client.post("/api/v1/lineage", json=[event(f"job-{i}") for i in range(entries - 1)])
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("page", "status", "message"),
    [
        ("abc", 400, "page: 'abc' is not a page number (1 to 3): the log has 3 pages of 100"),
        ("0", 400, "page: '0' is not a page number (1 to 3): the log has 3 pages of 100"),
        ("-1", 400, "page: '-1' is not a page number (1 to 3)"),
        ("4", 404, "page 4 is past the last page: the log has 3 pages of 100 entries"),
        ("999", 404, "page 999 is past the last page: the log has 3 pages of 100 entries"),
    ],
)
def test_a_bad_audit_page_number_is_refused(
    client_for: Any, store_url: str, page: str, status: int, message: str
) -> None:
    """Was a 200 with the newest page, as if no page had been asked for."""
    client = client_for(config_for(store_url))
    _log_of(client, 250)
    browser = client.get("/audit", params={"page": page}, headers={"Accept": "text/html"})
    assert browser.status_code == status
    assert browser.headers["content-type"].startswith("text/html")
    assert message in html.unescape(browser.text)
    other = client.get("/audit", params={"page": page})
    assert other.status_code == status
    assert message in other.json()["message"]


def test_audit_pages_are_numbered_from_the_oldest(client_for: Any, store_url: str) -> None:
    client = client_for(config_for(store_url))
    _log_of(client, 250)
    newest = client.get("/audit").text
    assert "Entries 201–250 of 250" in newest and "Page 3 of 3" in newest
    assert '<a href="/audit?page=2">← Older entries</a>' in newest
    assert "Newer entries" not in newest
    middle = client.get("/audit", params={"page": "2"}).text
    assert "Entries 101–200 of 250" in middle and "Page 2 of 3" in middle
    assert 'href="/audit?page=1"' in middle and 'href="/audit?page=3"' in middle
    assert "Entries 1–100 of 250" in client.get("/audit", params={"page": "1"}).text
    both = client.get("/audit", params={"page": "1", "after": "5"})
    assert both.status_code == 400
    empty = client_for(config_for(store_url.replace("audit.db", "empty.db"))).get("/audit")
    assert empty.status_code == 200 and "No entries of 0" in empty.text
