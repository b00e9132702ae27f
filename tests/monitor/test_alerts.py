"""Webhook alerts: one per rule that starts failing, remembered in the store, retried when the
receiver refused them. The receiver is a loopback http.server in a thread."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.conftest import CliRun
from tests.monitor.conftest import Deployed, entries, production_log


class Receiver(HTTPServer):
    """Collects the JSON bodies POSTed to it; answers ``status``."""

    received: list[dict]
    status: int


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        if self.server.status == 200:
            self.server.received.append(body)
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(("127.0.0.1", 0), Handler)
    server.received, server.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server: Receiver) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/hooks/T000/secret-token"


def test_one_alert_per_rule_that_starts_failing(
    run_cli: CliRun, deployed: Deployed, receiver: Receiver
) -> None:
    deployed.write_log(production_log(unfair_days=(3, 4, 8)))
    result = run_cli(*deployed.args("--webhook", _url(receiver)))
    assert result.exit_code == 1, result.stderr
    assert [(b["rule_id"], b["window_start"]) for b in receiver.received] == [
        ("dp-ratio", "2026-03-05T00:00:00Z"),  # days 3 and 4: one incident
        ("dp-ratio", "2026-03-10T00:00:00Z"),  # day 8: another
    ]
    text = receiver.received[0]["text"]
    assert "synthetic 0.1.0: rule watch/dp-ratio (high) started failing" in text
    assert "2026-03-05T00:00:00Z .. 2026-03-06T00:00:00Z" in text
    assert entries(deployed.db, "monitor.alert") == 2
    with deployed.db.open("rb") as handle:
        assert b"secret-token" not in handle.read()  # the URL is never recorded

    assert result.stdout.count("Alert sent: watch/dp-ratio (high) started failing") == 2

    again = run_cli(*deployed.args("--webhook", _url(receiver)))
    assert again.exit_code == 1
    assert len(receiver.received) == 2  # nothing alerted twice
    assert entries(deployed.db, "monitor.alert") == 2
    assert "Alert sent" not in again.stdout  # the terminal does not claim a new alert either


def test_without_a_webhook_each_run_shows_what_fails_and_claims_no_alert(
    run_cli: CliRun, deployed: Deployed
) -> None:
    deployed.write_log(production_log(unfair_days=(3, 4)))
    for _ in range(2):
        result = run_cli(*deployed.args())
        assert result.exit_code == 1
        assert (
            "Failing since the window from 2026-03-05 (no --webhook, not sent): watch/dp-ratio"
            in (result.stdout)
        )
        assert "Alert sent" not in result.stdout
    assert entries(deployed.db, "monitor.alert") == 0


def test_a_refused_alert_is_reported_and_sent_again_next_run(
    run_cli: CliRun, deployed: Deployed, receiver: Receiver
) -> None:
    deployed.write_log(production_log(unfair_days=(3,)))
    receiver.status = 500
    result = run_cli(*deployed.args("--webhook", _url(receiver)))
    assert result.exit_code == 1
    assert "Warning: alert for watch/dp-ratio (window 2026-03-05T00:00:00Z) not delivered" in (
        result.stderr
    )
    assert entries(deployed.db, "monitor.alert") == 0
    receiver.status = 200
    again = run_cli(*deployed.args("--webhook", _url(receiver)))
    assert again.exit_code == 1 and again.stderr == ""
    assert [b["window_start"] for b in receiver.received] == ["2026-03-05T00:00:00Z"]
    assert entries(deployed.db, "monitor.alert") == 1


def test_all_windows_passing_exit_0_and_alert_nothing(
    run_cli: CliRun, deployed: Deployed, receiver: Receiver
) -> None:
    result = run_cli(*deployed.args("--webhook", _url(receiver)))
    assert result.exit_code == 0
    assert receiver.received == []
