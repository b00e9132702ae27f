"""The inventory in the web view and the API: the same rows, linked to each evaluation."""

from __future__ import annotations

import re
from typing import Any

from governance.config import RequiredPolicies
from governance.inventory.export import COLUMNS
from tests.inventory.records import Seeded
from tests.serve.conftest import config_for

REQUIRED = RequiredPolicies(by_tier=(("high", ("eu-ai-act",)),))


def test_the_api_gives_the_cli_s_json(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url, required_policies=REQUIRED))
    answer = client.get("/api/v1/inventory")
    assert answer.status_code == 200
    body = answer.json()
    assert body["columns"] == list(COLUMNS)
    verdicts = {(row["model"], row["version"]): row["verdict"] for row in body["rows"]}
    assert verdicts == {
        ("churn", "1.0.0"): "incomplete",
        ("credit", "1.0.0"): "passed",
        ("credit", "2.0.0"): "failed",
        ("fraud", "3.1.0"): "passed",
    }


def test_the_page_links_every_row_to_its_evaluation(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url, required_policies=REQUIRED))
    page = client.get("/inventory")
    assert page.status_code == 200
    html = page.text
    for key in ("credit-1", "credit-2", "churn", "fraud"):
        link = f'href="/evaluations/{seeded.records[key]["evaluation_id"]}"'
        assert link in html, key
    for key in ("credit-1", "credit-2", "churn"):  # fraud's `registry` part is another branch's
        assert client.get(f"/evaluations/{seeded.records[key]['evaluation_id']}").status_code == 200
    assert f'href="/evaluations/{seeded.records["window"]["evaluation_id"]}"' in html
    text = re.sub(r"<[^>]+>", " ", html)
    assert "◌ incomplete" in text and "missing eu-ai-act" in text
    assert "demographic-parity until 2099-12-31" in text
    assert "equalized-odds expired 2020-01-31" in text
    assert "models:/fraud/7" in text
    assert "not monitored" in text
    assert 'aria-current="page">Inventory' in html


def test_an_empty_store_says_so(client_for: Any, tmp_path: Any) -> None:
    from governance.audit import AuditStore

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    AuditStore.open(url).close()
    client = client_for(config_for(url))
    assert "No evaluation is recorded yet" in client.get("/inventory").text
    assert client.get("/api/v1/inventory").json()["rows"] == []
