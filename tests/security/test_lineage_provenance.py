"""Lineage names who delivered it: receipts in the log, policies that count only named sources.

Earlier, events posted with an ingest-only key made a model's lineage rules pass and nothing
recorded which key had posted them; nor was an event dated long before it was recorded noticed.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from governance.audit import AuditStore
from governance.serve.app import create_app
from tests.conftest import REPO, CliRun
from tests.serve.conftest import config_for, make_keys

SAMPLE = REPO / "samples" / "adult-income"
MITIGATED = SAMPLE / "mitigated.yaml"


def sample_events() -> list[dict[str, Any]]:
    events = []
    for path in sorted((SAMPLE / "lineage").iterdir()):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            loaded = json.loads(text)
            events += loaded if isinstance(loaded, list) else [loaded]
        elif path.suffix == ".jsonl":
            events += [json.loads(line) for line in text.splitlines() if line.strip()]
    return events


def key_id(token: str) -> str:
    return token.split("_")[1]


def policy(tmp_path: Path, sources: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            apiVersion: governance/v1
            kind: Policy
            metadata:
              name: provenance
              version: 1.0.0
            rules:
              - id: traced
                title: Training data traced, from trusted sources only
                severity: high
                check: lineage.training_data_traced
                params:
                  require_declared: false
                  sources: {sources}
                threshold:
                  max: 0
            """
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture
def posted(tmp_path: Path) -> tuple[str, Any]:
    """A store whose sample lineage was posted with the 'airflow' ingest-only key."""
    keys = make_keys(tmp_path)
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    with TestClient(create_app(config_for(url, keys)), base_url="http://localhost") as client:
        response = client.post(
            "/api/v1/lineage",
            json=sample_events(),
            headers={"Authorization": f"Bearer {keys.ingest}"},
        )
        assert response.status_code == 201, response.text
    return url, keys


def test_the_log_records_which_key_posted_events(posted: tuple[str, Any], run_cli: CliRun) -> None:
    url, keys = posted
    with AuditStore.open(url, create=False) as store:
        events = [entry.seq for entry in store.entries(kind="openlineage.event")]
        (receipt,) = [entry.payload for entry in store.entries(kind="lineage.ingest")]
    assert receipt["via"] == "api"
    assert receipt["key"] == {"id": key_id(keys.ingest), "name": "airflow"}
    assert receipt["events"] == [[events[0], events[-1]]]
    listed = run_cli("audit", "log", "--store", url)
    assert f"by api key {key_id(keys.ingest)} (airflow)" in listed.stdout


@pytest.mark.usefixtures("in_repo")
def test_a_policy_can_count_only_lineage_from_named_keys(
    posted: tuple[str, Any], run_cli: CliRun, tmp_path: Path
) -> None:
    url, keys = posted
    other = policy(tmp_path, f"{{delivered_by: [api-key:{key_id(keys.both)}]}}")
    refused = run_cli("check", MITIGATED, "--policy", other, "--store", url, "--format", "json")
    assert refused.exit_code == 1
    (finding,) = json.loads(refused.stdout)["findings"]
    assert finding["outcome"] == "fail"
    assert finding["evidence"]["training_run"] is None
    assert finding["evidence"]["events_left_out"] == len(sample_events())

    trusted = policy(tmp_path, f"{{delivered_by: [api-key:{key_id(keys.ingest)}]}}")
    accepted = run_cli("check", MITIGATED, "--policy", trusted, "--store", url, "--format", "json")
    assert accepted.exit_code == 0, accepted.stdout
    (finding,) = json.loads(accepted.stdout)["findings"]
    assert finding["outcome"] == "pass"
    assert finding["evidence"]["training_run"]["delivered_by"] == [f"api-key:{key_id(keys.ingest)}"]


@pytest.mark.usefixtures("in_repo")
def test_events_recorded_long_after_their_time_are_flagged_and_can_be_left_out(
    run_cli: CliRun, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    assert run_cli("lineage", "ingest", SAMPLE / "lineage", "--store", url).exit_code == 0
    # The sample's events are dated 2026-11-20: recorded days after their eventTime.
    flagged = policy(tmp_path, "{delivered_by: [cli]}")
    seen = run_cli("check", MITIGATED, "--policy", flagged, "--store", url, "--format", "json")
    assert seen.exit_code == 0, seen.stdout
    (finding,) = json.loads(seen.stdout)["findings"]
    late = finding["evidence"]["recorded_late"]
    assert late and all(item["recorded_after_hours"] > 24 for item in late)
    assert finding["evidence"]["training_run"]["delivered_by"] == ["cli"]

    strict = policy(tmp_path, "{max_delay_hours: 24}")
    refused = run_cli("check", MITIGATED, "--policy", strict, "--store", url, "--format", "json")
    assert refused.exit_code == 1
    (finding,) = json.loads(refused.stdout)["findings"]
    assert finding["outcome"] == "fail"
    assert finding["evidence"]["training_run"] is None
    assert finding["evidence"]["events_left_out"] == len(sample_events())


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ("{}", "sources needs delivered_by, producers or max_delay_hours"),
        ("{delivered_by: [api-key]}", "delivered_by"),
        ("{delivered_by: ['api-key:1a2b3c4d\\n']}", "delivered_by"),
        ("{max_delay_hours: 0}", "max_delay_hours"),
    ],
)
def test_a_bad_sources_rule_is_refused_at_load(
    run_cli: CliRun, tmp_path: Path, sources: str, message: str
) -> None:
    path = policy(tmp_path, sources)
    result = run_cli("policy", "lint", path)
    assert result.exit_code == 2
    assert message in result.stderr
    assert f"{path.name}:" in result.stderr
