"""A monitored model's windows: the API's answer and the web view's trend page."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from governance.audit import AuditStore
from tests.serve.conftest import Seeded, config_for, evaluation_record, seed_store

RULE = "four-fifths-sex"
MONTH = "2026-01"


def window(
    base: dict[str, Any],
    number: int,
    measured: float | None,
    *,
    outcome: str,
    rows_with_outcome: int = 100,
    supersedes: str | None = None,
    title: str | None = None,
    rule_id: str = RULE,
) -> dict[str, Any]:
    """A monitored window of ``base``'s model: its week ``number`` of January, one rule."""
    record = copy.deepcopy(base)
    suffix = f"{number:02d}{'b' if supersedes else 'a'}"
    record["evaluation_id"] = f"019375a2-8a4e-7c3b-9f1e-00000000{suffix}"
    finding = copy.deepcopy(base["findings"][0])
    finding.pop("charts", None)
    finding.update(rule_id=rule_id, measured=measured, outcome=outcome)
    finding["blocking"] = outcome == "fail"
    if title is not None:
        finding["title"] = title
    record["findings"] = [finding]
    record["verdict"] = "failed" if outcome == "fail" else "passed"
    record["monitoring"] = {
        "baseline": base["evaluation_id"],
        "index": number,
        "key": f"sha256:{number:064d}",
        "window_start": f"{MONTH}-{5 + 7 * number:02d}T00:00:00Z",
        "window_end": f"{MONTH}-{12 + 7 * number:02d}T00:00:00Z",
        "rows": 1000 + number,
        "rows_with_outcome": rows_with_outcome,
        "window": "7d",
        **({"supersedes": supersedes} if supersedes else {}),
    }
    return record


def append(url: str, *records: dict[str, Any]) -> None:
    with AuditStore.open(url) as store:
        for record in records:
            store.append("evaluation", record)


@pytest.fixture
def monitored(tmp_path: Path, store_url: str) -> tuple[Seeded, list[dict[str, Any]]]:
    """The seeded gate evaluation and three windows, recorded out of time order; the second
    window was recorded again (late outcomes) and now fails."""
    seeded = seed_store(tmp_path, store_url)
    base = seeded.record
    first = window(base, 0, 0.91, outcome="pass")
    second = window(base, 1, 0.88, outcome="pass", rows_with_outcome=10)
    third = window(base, 2, 0.95, outcome="pass")
    again = window(base, 1, 0.52, outcome="fail", supersedes=second["evaluation_id"])
    append(store_url, third, first, second, again)
    return seeded, [first, again, third, second]


def test_api_lists_windows_oldest_first_without_superseded_ones(
    client_for: Any, monitored: tuple[Seeded, list[dict[str, Any]]]
) -> None:
    seeded, (first, again, third, second) = monitored
    client = client_for(config_for(seeded.url))
    answer = client.get("/api/v1/models/adult-income/monitoring").json()
    assert answer["model"] == "adult-income" and answer["baseline"] is None
    windows = answer["windows"]
    assert [w["evaluation_id"] for w in windows] == [
        first["evaluation_id"],
        again["evaluation_id"],
        third["evaluation_id"],
    ]
    assert 0.88 not in [f["measured"] for w in windows for f in w["findings"]]  # the replaced
    late = windows[1]
    assert late == {
        "evaluation_id": again["evaluation_id"],
        "baseline": seeded.record["evaluation_id"],
        "window_start": "2026-01-12T00:00:00Z",
        "window_end": "2026-01-19T00:00:00Z",
        "rows": 1001,
        "rows_with_outcome": 100,
        "verdict": "failed",
        "supersedes": second["evaluation_id"],
        "findings": [
            {
                "policy": "fairness-baseline",
                "rule_id": RULE,
                "title": "Selection rate of every sex is at least 80% of the highest",
                "severity": seeded.record["findings"][0]["severity"],
                "outcome": "fail",
                "measured": 0.52,
                "threshold": {"min": 0.8, "max": None},
                "blocking": True,
            }
        ],
    }


def test_api_filters_by_baseline_and_answers_404_for_unknown_ones(
    client_for: Any, monitored: tuple[Seeded, list[dict[str, Any]]]
) -> None:
    seeded, _ = monitored
    client = client_for(config_for(seeded.url))
    gate = seeded.record["evaluation_id"]
    answer = client.get(f"/api/v1/models/adult-income/monitoring?baseline={gate}").json()
    assert answer["baseline"] == gate and len(answer["windows"]) == 3
    unknown = client.get("/api/v1/models/adult-income/monitoring?baseline=nope")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "code": 404,
        "message": "no evaluation nope of model adult-income in the audit store",
    }


def test_unknown_model_is_404_in_the_api_error_shape(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url))
    response = client.get("/api/v1/models/no-such-model/monitoring")
    assert response.status_code == 404
    assert response.json() == {
        "code": 404,
        "message": "no evaluation of model no-such-model in the audit store",
    }
    page = client.get("/models/no-such-model/trend", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "no evaluation of model no-such-model" in page.text


def test_a_model_never_monitored_has_no_windows(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url))
    assert client.get("/api/v1/models/adult-income/monitoring").json()["windows"] == []
    page = client.get("/models/adult-income/trend").text
    assert "No window of this model is recorded" in page


def test_a_tampered_window_is_refused_not_shown(
    client_for: Any, monitored: tuple[Seeded, list[dict[str, Any]]]
) -> None:
    import sqlite3

    seeded, _ = monitored
    conn = sqlite3.connect(seeded.url.removeprefix("sqlite:///"))
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute(
        "UPDATE audit_log SET payload = replace(payload, '0.95', '0.05') "
        "WHERE seq = (SELECT max(seq) FROM audit_log WHERE kind = 'evaluation' "
        "AND payload LIKE '%0.95%')"
    )
    assert conn.total_changes == 1
    conn.commit()
    conn.close()
    client = client_for(config_for(seeded.url))
    response = client.get("/api/v1/models/adult-income/monitoring")
    assert response.status_code == 409
    assert "0.05" not in response.text


def test_trend_page_draws_each_rule_and_marks_the_failing_window(
    client_for: Any, monitored: tuple[Seeded, list[dict[str, Any]]]
) -> None:
    seeded, (first, again, third, _) = monitored
    client = client_for(config_for(seeded.url))
    model_page = client.get("/models/adult-income").text
    assert 'href="/models/adult-income/trend"' in model_page
    page = client.get("/models/adult-income/trend").text
    assert "<script" not in page
    assert f"<code>{RULE}</code>" in page
    assert page.count("<svg") == 1
    assert 'role="img" class="trend" aria-labelledby="trend-title-0 trend-desc-0"' in page
    assert "3 windows, 1 failed: from 2026-01-12</desc>" in page
    assert "✖ failed in 1 of 3 windows" in page
    # the failing window: a cross and the word FAIL, and its tooltip; the others are dots
    assert '<g class="mark-fail"><title>2026-01-12 to 2026-01-19: fail, 0.52</title><path' in page
    assert page.count('<g class="mark-fail">') == 1
    assert page.count(">FAIL</text>") == 1
    assert page.count('<g class="mark-pass">') == 2
    assert "min 0.8</text>" in page  # the threshold line's label
    # the windows table, oldest first, the failing one said in words
    rows = page.split("<tbody>")[1]
    assert rows.index(first["evaluation_id"]) < rows.index(again["evaluation_id"])
    assert rows.index(again["evaluation_id"]) < rows.index(third["evaluation_id"])
    assert "✖ failed" in rows and f"<code>fairness-baseline/{RULE}</code>" in rows
    assert '<th scope="col">Window (UTC)</th>' in page


def test_hostile_names_and_titles_are_escaped(client_for: Any, tmp_path: Path) -> None:
    from governance.store import sqlite_url_for

    url = sqlite_url_for(tmp_path / "hostile.db")
    hostile = '<b onmouseover="alert(0)">m&<b>'  # a record's name, not a manifest's: no slash
    base = evaluation_record()
    base["model"]["name"] = hostile
    gate = copy.deepcopy(base)
    gate["findings"][0].pop("charts", None)
    title = '<img src=x onerror="alert(1)">&'
    rule = "r</title><script>alert(2)</script>"
    append(
        url,
        gate,
        window(base, 0, 0.4, outcome="fail", title=title, rule_id=rule),
    )
    client = client_for(config_for(url))
    api = client.get(f"/api/v1/models/{quote(hostile, safe='')}/monitoring").json()
    assert api["windows"][0]["findings"][0]["title"] == title
    page = client.get(f"/models/{quote(hostile, safe='')}/trend").text
    assert "<script" not in page and "<img" not in page and "<b " not in page
    assert "Monitoring trend of &lt;b onmouseover=&#34;alert(0)&#34;&gt;m&amp;&lt;b&gt;" in page
    assert f'href="/models/{quote(hostile, safe="")}/trend?baseline=' in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&amp;" in page
    assert "Trend of fairness-baseline/r&lt;/title&gt;&lt;script&gt;" in page  # the SVG title


@pytest.mark.slow
def test_trend_page_renders_in_chromium(
    live_server: Any, monitored: tuple[Seeded, list[dict[str, Any]]], tmp_path: Path
) -> None:
    from tests.serve.test_browser import CHROMIUM, shoot

    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    seeded, _ = monitored
    server = live_server(config_for(seeded.url))
    shots = Path(os.environ.get("GOVERNANCE_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    dom = shoot(
        tmp_path / "profile", f"{server.url}/models/adult-income/trend", shots / "trend.png"
    )
    assert "<svg" in dom and RULE in dom
    assert ">FAIL</text>" in dom
    assert "✖ failed in 1 of 3 windows" in dom


def test_the_endpoint_is_in_the_served_openapi_document(client_for: Any, seeded: Seeded) -> None:
    client = client_for(config_for(seeded.url))
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/models/{name}/monitoring"]["get"]
    assert {"200", "404", "409"} <= set(operation["responses"])
    assert [p["name"] for p in operation["parameters"]] == ["name", "baseline"]
    window = document["components"]["schemas"]["MonitoredWindow"]
    assert set(window["required"]) >= {"evaluation_id", "window_start", "verdict", "findings"}
