"""Attacks on ``governance serve``: report downloads, DNS rebinding, log lines, error bodies.

Each test is an attack that an earlier version let through (issue 12, items 3, 5 and 9).
The fixtures are those of tests/serve (imported, so their names are parameters here too).
"""

# ruff: noqa: F811

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from governance.audit import AuditStore
from tests.serve.conftest import (  # noqa: F401 - fixtures used by name
    Keys,
    Seeded,
    client_for,
    config_for,
    event,
    keys,
    seeded,
    store_url,
)

PDF = b"%PDF-1.7\n% a report\n%%EOF\n"


def _stored_events(url: str) -> int:
    with AuditStore.open(url, create=False) as store:
        return len(list(store.entries(kind="openlineage.event")))


def _record_report(seeded: Seeded, path: str, digest: str | None) -> int:
    payload: dict[str, Any] = {"evaluation_id": seeded.record["evaluation_id"], "path": path}
    if digest is not None:
        payload["digest"] = digest
    with AuditStore.open(seeded.url, create=False) as store:
        return store.append("report", payload).seq


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _served(client: Any, seq: int) -> list[Any]:
    """The answers of both download routes (API and web view) for report entry ``seq``."""
    return [client.get(f"/api/v1/reports/{seq}/pdf"), client.get(f"/reports/{seq}/download")]


# -- item 3: any readable file through the report download ----------------------------------


def test_a_report_entry_without_a_digest_serves_nothing(
    client_for: Any, seeded: Seeded, tmp_path: Path
) -> None:
    """Served /etc/passwd and the signing key: a report entry without a digest was trusted."""
    secret = tmp_path / "reports" / "signing-key.pem"
    secret.write_bytes(b"-----BEGIN PRIVATE KEY-----\nsecret\n")
    client = client_for(config_for(seeded.url, reports_dirs=(seeded.report_path.parent,)))
    for path in ("/etc/passwd", str(secret)):
        seq = _record_report(seeded, path, None)
        for answer in _served(client, seq):
            assert answer.status_code == 409
            assert answer.json()["message"] == (
                f"audit entry {seq} records no sha256 of its report: it cannot be checked, so "
                "it is not served"
            )
            assert b"root:" not in answer.content and b"PRIVATE KEY" not in answer.content


def test_downloads_are_off_until_a_reports_folder_is_configured(
    client_for: Any, seeded: Seeded
) -> None:
    """Any path the log names was served, with no folder to confine it to."""
    client = client_for(config_for(seeded.url))
    for answer in _served(client, seeded.report_seq):
        assert answer.status_code == 403
        assert answer.json()["message"] == (
            "report downloads are off: start governance serve with --reports-dir DIR "
            "(the folder reports are written to)"
        )


def test_a_file_outside_the_reports_folder_is_not_served(
    client_for: Any, seeded: Seeded, tmp_path: Path
) -> None:
    """Even with the right digest (whoever can write the log knows it), and via ``..``."""
    outside = tmp_path / "elsewhere.pdf"
    outside.write_bytes(PDF)
    client = client_for(config_for(seeded.url, reports_dirs=(seeded.report_path.parent,)))
    dotted = str(seeded.report_path.parent / ".." / "elsewhere.pdf")
    for path in (str(outside), dotted):
        seq = _record_report(seeded, path, _sha(PDF))
        for answer in _served(client, seq):
            assert answer.status_code == 403
            assert answer.json()["message"] == (
                f"the report file of audit entry {seq} is not in a reports folder of this server"
            )
            assert answer.content != PDF


def test_links_are_refused_anywhere_in_the_path(
    client_for: Any, seeded: Seeded, tmp_path: Path
) -> None:
    """A link in the reports folder pointing out of it (to a file or a folder) is refused."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.pdf").write_bytes(PDF)
    reports = seeded.report_path.parent
    (reports / "linked.pdf").symlink_to(outside / "secret.pdf")
    (reports / "folder").symlink_to(outside, target_is_directory=True)
    client = client_for(config_for(seeded.url, reports_dirs=(reports,)))
    for path in (reports / "linked.pdf", reports / "folder" / "secret.pdf"):
        seq = _record_report(seeded, str(path), _sha(PDF))
        for answer in _served(client, seq):
            assert answer.status_code == 403
            assert answer.json()["message"] == (
                f"the report file of audit entry {seq} is reached through a link: links are "
                "not followed"
            )


def test_only_a_pdf_is_served(client_for: Any, seeded: Seeded) -> None:
    """A file of the reports folder that is not a PDF is not served, whatever its digest."""
    text = seeded.report_path.parent / "notes.txt"
    text.write_bytes(b"not a report\n")
    client = client_for(config_for(seeded.url, reports_dirs=(seeded.report_path.parent,)))
    seq = _record_report(seeded, str(text), _sha(text.read_bytes()))
    for answer in _served(client, seq):
        assert answer.status_code == 409
        assert answer.json()["message"] == f"the file of audit entry {seq} is not a PDF"


def test_a_changed_report_is_not_served(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url, reports_dirs=(seeded.report_path.parent,)))
    seeded.report_path.write_bytes(seeded.report_bytes + b"% appended\n")
    for answer in _served(client, seeded.report_seq):
        assert answer.status_code == 409
        assert answer.json()["message"] == (
            "the report file adult-income.pdf changed since it was recorded"
        )


def test_the_download_path_comes_from_the_log_not_the_reports_table(
    client_for: Any, seeded: Seeded
) -> None:
    """An edited ``reports`` row (no hash protects it) changes nothing that is served."""
    conn = sqlite3.connect(seeded.url.removeprefix("sqlite:///"))
    conn.execute("UPDATE reports SET path = '/etc/passwd', digest = NULL")
    conn.commit()
    conn.close()
    client = client_for(config_for(seeded.url, reports_dirs=(seeded.report_path.parent,)))
    for answer in _served(client, seeded.report_seq):
        assert answer.status_code == 200
        assert answer.content == seeded.report_bytes
        assert answer.headers["content-type"] == "application/pdf"


def test_an_edited_report_entry_is_not_trusted(client_for: Any, seeded: Seeded) -> None:
    conn = sqlite3.connect(seeded.url.removeprefix("sqlite:///"))
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute(
        "UPDATE audit_log SET payload = replace(payload, 'adult-income.pdf', 'other.pdf') "
        "WHERE seq = ?",
        (seeded.report_seq,),
    )
    conn.commit()
    conn.close()
    client = client_for(config_for(seeded.url, reports_dirs=(seeded.report_path.parent,)))
    for answer in _served(client, seeded.report_seq):
        assert answer.status_code == 409
        assert answer.json()["message"] == (
            f"audit entry {seeded.report_seq} does not match its hash (run governance audit verify)"
        )


# -- item 5: DNS rebinding ------------------------------------------------------------------


@pytest.mark.parametrize("host", ["rebound.example", "rebound.example:5000", "10.0.0.7", ""])
def test_a_request_for_another_host_name_is_refused(
    client_for: Any, seeded: Seeded, host: str
) -> None:
    """A page whose name was rebound to 127.0.0.1 read the audit trail and appended to it."""
    client = client_for(config_for(seeded.url))
    forged = {"Host": host}
    before = _stored_events(seeded.url)
    answers = [
        client.get("/api/v1/evaluations", headers=forged),
        client.get("/", headers=forged),
        client.get("/audit", headers={**forged, "Accept": "text/html"}),
        client.post("/api/v1/lineage", json=event("rebound"), headers=forged),
        client.post("/api/v1/lineage/batch", json=[event("rebound")], headers=forged),
        client.get("/api/v1/health", headers=forged),
    ]
    for answer in answers:
        assert answer.status_code == 400
        assert answer.json()["message"].startswith("this server does not answer to the Host ")
    assert _stored_events(seeded.url) == before


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:5000", "LOCALHOST:1", "127.0.0.1", "127.0.0.1:80", "[::1]:8"]
)
def test_loopback_host_names_are_answered(client_for: Any, store_url: str, host: str) -> None:
    client = client_for(config_for(store_url))
    assert client.get("/api/v1/models", headers={"Host": host}).status_code == 200


def test_configured_host_names_are_answered(client_for: Any, store_url: str) -> None:
    client = client_for(config_for(store_url, allowed_hosts=("governance.internal",)))
    assert client.get("/api/v1/models", headers={"Host": "governance.internal:5000"}).is_success
    refused = client.get("/api/v1/models", headers={"Host": "other.internal"})
    assert refused.status_code == 400


# -- item 9: log injection ------------------------------------------------------------------


def test_a_request_path_cannot_forge_a_log_line(
    client_for: Any, store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for(config_for(store_url))
    caplog.set_level(logging.INFO, logger="governance.serve")
    forged = "/api/v1/x%0A2026-12-06 INFO governance.serve: forged%1B[2J"
    client.get(forged)
    client.get("/a%0D%0Ab", headers={"Host": "evil\x1b.example"})
    lines = [r.getMessage() for r in caplog.records if r.name == "governance.serve"]
    assert len(lines) == 2
    for line in lines:
        assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert "/api/v1/x\\n2026-12-06 INFO governance.serve: forged\\x1b[2J" in lines[0]
    assert "/a\\r\\nb" in lines[1] and "evil\\x1b.example" in lines[1]


# -- item 9: numbers out of range and lone surrogates ---------------------------------------


def _raw_event(value: str) -> bytes:
    text = json.dumps(event("odd", outputs=["odd.out"]))
    return text.replace('"schema": {', '"schema": {"x": ' + value + ", ", 1).encode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1e999", "NaN and Infinity have no JSON representation (found inf at"),
        ("-1e999", "NaN and Infinity have no JSON representation (found -inf at"),
        ('"\\ud800"', "text is not valid Unicode (lone surrogate"),
    ],
)
@pytest.mark.parametrize("route", ["/api/v1/lineage", "/api/v1/lineage/batch"])
def test_an_unstorable_value_is_a_400_naming_its_field(
    client_for: Any, store_url: str, value: str, message: str, route: str
) -> None:
    """Was a 503, which clients retry forever."""
    client = client_for(config_for(store_url))
    body = _raw_event(value)
    if route.endswith("batch"):
        body = b"[" + body + b"]"
    answer = client.post(route, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    text = answer.json()["message"]
    assert message in text
    assert "$.outputs[0].facets.schema.x" in text
    if "inf" in message:
        assert text.endswith("such as 1e999, reads as infinity")
    assert _stored_events(store_url) == 0


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
@pytest.mark.parametrize("value", ["1e999", '"\\ud800"'])
def test_lineage_ingest_rejects_the_same_values(
    run_cli: Any, tmp_path: Path, value: str, suffix: str
) -> None:
    source = tmp_path / f"events{suffix}"
    source.write_bytes(_raw_event(value) + b"\n")
    url = f"sqlite:///{tmp_path}/audit.db"
    result = run_cli("lineage", "ingest", "--store", url, source)
    assert result.exit_code == 2
    assert f"Rejected: {source}:1" in result.stderr
    assert "$.outputs[0].facets.schema.x" in result.stderr


# -- item 9: huge numbers in paths and queries ----------------------------------------------

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/reports/{HUGE}/pdf",
        f"/api/v1/reports/-{HUGE}/pdf",
        f"/reports/{HUGE}/download",
        f"/api/v1/audit/log?after={HUGE}",
        f"/api/v1/audit/log?limit={HUGE}",
        f"/api/v1/evaluations?limit={HUGE}",
        f"/api/v1/evaluations?offset={HUGE}",
        f"/api/v1/events/lineage?offset={HUGE}",
        f"/api/v1/namespaces/warehouse/jobs?limit={HUGE}",
        f"/api/v1/namespaces/warehouse/datasets?offset={HUGE}",
        f"/api/v1/namespaces/warehouse/jobs/etl.clean/runs?offset={HUGE}",
        f"/api/v1/lineage?nodeId=job:warehouse:etl.clean&depth={HUGE}",
        f"/lineage?node=job:warehouse:etl.clean&depth={HUGE}",
        f"/audit?after={HUGE}",
        f"/audit?page={HUGE}",
        "/evaluations/{evaluation}/charts/" + HUGE + "/0.svg",
        "/evaluations/{evaluation}/charts/0/" + HUGE + ".svg",
        "/evaluations/{evaluation}/charts/-" + HUGE + "/0.svg",
    ],
)
def test_a_huge_number_is_a_json_4xx(client_for: Any, seeded: Seeded, path: str) -> None:
    """``/api/v1/reports/99999999999999999999999/pdf`` was a plain-text 500."""
    client = client_for(config_for(seeded.url, reports_dirs=(seeded.report_path.parent,)))
    answer = client.get(path.format(evaluation=seeded.record["evaluation_id"]))
    assert answer.status_code in (400, 404)
    body = answer.json()
    assert body["code"] == answer.status_code and body["message"]


def test_an_unexpected_failure_is_a_json_500(
    client_for: Any, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any failure the server did not foresee still answers JSON, and says nothing inside."""
    from fastapi.testclient import TestClient

    from governance.lineage.catalog import LineageCatalog
    from governance.serve.app import create_app

    def broken(self: Any) -> Any:
        raise RuntimeError(f"boom in {store_url}")

    monkeypatch.setattr(LineageCatalog, "namespace_times", broken)
    with TestClient(
        create_app(config_for(store_url)),
        base_url="http://localhost",
        raise_server_exceptions=False,
    ) as client:
        answer = client.get("/api/v1/namespaces")
    assert answer.status_code == 500
    message = answer.json()["message"]
    assert message.startswith("internal error (request ")
    assert "boom" not in message and store_url not in message


# -- item 9: store paths in error bodies ----------------------------------------------------


def _machine_details(text: str, seeded: Seeded) -> list[str]:
    database = seeded.url.removeprefix("sqlite:///")
    return [part for part in ("sqlite", database, os.path.dirname(database)) if part in text]


def test_a_store_failure_does_not_tell_clients_where_the_store_is(
    client_for: Any, seeded: Seeded, caplog: pytest.LogCaptureFixture
) -> None:
    """A 503 body said ``cannot read audit store sqlite:////home/...: no such table``."""
    client = client_for(config_for(seeded.url))
    caplog.set_level(logging.INFO, logger="governance.serve")
    conn = sqlite3.connect(seeded.url.removeprefix("sqlite:///"))
    conn.execute("DROP TABLE reports")
    conn.commit()
    conn.close()
    api = client.get("/api/v1/reports")
    page = client.get(
        f"/evaluations/{seeded.record['evaluation_id']}", headers={"Accept": "text/html"}
    )
    for answer in (api, page):
        assert answer.status_code == 503
        assert _machine_details(answer.text, seeded) == []
    message = api.json()["message"]
    assert message.startswith("the audit store could not answer (request ")
    request_id = message.split("(request ", 1)[1].split(")", 1)[0]
    logged = [r.getMessage() for r in caplog.records if request_id in r.getMessage()]
    assert any("no such table: reports" in line for line in logged)


def test_not_found_and_tampered_answers_do_not_name_the_store(
    client_for: Any, seeded: Seeded
) -> None:
    client = client_for(config_for(seeded.url))
    missing = client.get("/api/v1/evaluations/not-an-evaluation")
    assert missing.status_code == 404
    assert missing.json()["message"] == "no evaluation not-an-evaluation in the audit store"
    browser = client.get("/models/nothing", headers={"Accept": "text/html"})
    assert browser.status_code == 404 and _machine_details(browser.text, seeded) == []
    conn = sqlite3.connect(seeded.url.removeprefix("sqlite:///"))
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE audit_log SET payload = replace(payload, 'failed', 'passed') WHERE seq=2")
    conn.commit()
    conn.close()
    tampered = client.get(f"/api/v1/evaluations/{seeded.record['evaluation_id']}")
    assert tampered.status_code == 409
    assert _machine_details(tampered.text, seeded) == []
    assert "does not match its hash" in tampered.json()["message"]


def test_host_names_are_configured_safely(run_cli: Any, tmp_path: Path, keys: Keys) -> None:
    """``*`` (any Host) needs API keys; a server bound to one address answers to it."""
    url = f"sqlite:///{tmp_path}/a.db"
    anyone = run_cli(
        "serve", "--store", url, "--allowed-host", "*", "--keys-file", tmp_path / "none.json"
    )
    assert anyone.exit_code == 2
    assert anyone.stderr.startswith("Error: refusing to answer any Host without API keys")
    bad = run_cli("serve", "--store", url, "--allowed-host", "a b", "--keys-file", keys.path)
    assert bad.exit_code == 2 and "'a b' is not a host name or address" in bad.stderr
    missing = run_cli("serve", "--store", url, "--reports-dir", tmp_path / "nowhere")
    assert missing.exit_code == 2 and "not a folder" in missing.stderr
    assert not (tmp_path / "a.db").exists()
    config = config_for(url, keys)
    assert config.bound_to("10.0.0.5").answers_to("10.0.0.5:5000")
    assert not config.bound_to("0.0.0.0").answers_to("10.0.0.5:5000")
    assert not config.answers_to("10.0.0.5")
