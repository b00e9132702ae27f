"""With required_policies set, a model's latest verdict is the latest under the required set."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from governance.audit import AuditStore
from governance.config import load_settings
from tests.serve.conftest import Seeded, config_for


def _weak_pass(seeded: Seeded) -> dict[str, Any]:
    """A newer evaluation of the same model that passed with a lineage-only policy."""
    record = copy.deepcopy(seeded.record)
    record["evaluation_id"] = str(uuid.uuid4())
    record["policies"] = [
        {**record["policies"][0], "name": "lineage-completeness", "path": "pack:x", "extends": []}
    ]
    record["verdict"], record["exit_code"] = "passed", 0
    with AuditStore.open(seeded.url, create=False) as store:
        store.append("evaluation", record)
    return record


def _required(value: str) -> Any:
    return load_settings(env={"GOVERNANCE_REQUIRED_POLICIES": value}).required_policies


def test_latest_verdict_skips_evaluations_without_the_required_set(
    client_for: Any, seeded: Seeded
) -> None:
    weak = _weak_pass(seeded)
    plain = client_for(config_for(seeded.url)).get("/api/v1/models").json()["models"][0]
    assert plain["latest"]["evaluationId"] == weak["evaluation_id"]  # nothing required: newest
    client = client_for(config_for(seeded.url, required_policies=_required("fairness-baseline")))
    (model,) = client.get("/api/v1/models").json()["models"]
    assert model["evaluations"] == 2
    assert model["latest"]["evaluationId"] == seeded.record["evaluation_id"]
    assert model["latest"]["verdict"] == "failed"
    assert model["latest"]["missingRequired"] == []
    listed = client.get("/api/v1/evaluations").json()["evaluations"]
    assert [item["policies"] for item in listed] == [
        ["lineage-completeness"],
        ["fairness-baseline", "model-documentation"],
    ]
    assert listed[0]["missingRequired"] == ["fairness-baseline"]


def test_no_evaluation_under_the_required_set_has_no_latest_verdict(
    client_for: Any, seeded: Seeded
) -> None:
    required = _required('{"high": ["pack:fair-lending"]}')
    client = client_for(config_for(seeded.url, required_policies=required))
    (model,) = client.get("/api/v1/models").json()["models"]
    assert model["latest"] is None
    page = client.get("/")
    assert page.status_code == 200
    assert "no evaluation applied the required policies" in page.text
    assert "verdict-failed" not in page.text


def test_the_model_page_shows_each_evaluations_policies(client_for: Any, seeded: Seeded) -> None:
    _weak_pass(seeded)
    client = client_for(config_for(seeded.url, required_policies=_required("fairness-baseline")))
    page = client.get("/models/adult-income").text
    assert "fairness-baseline, model-documentation" in page
    assert "not the required set: lacks fairness-baseline" in page
    models = client.get("/").text
    assert f'href="/evaluations/{seeded.record["evaluation_id"]}"' in models
