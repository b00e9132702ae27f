"""Every Marquez read a client makes (marquez-python 0.50.0's URL patterns) answers in the
shapes of Marquez's own OpenAPI document, non-nullable fields included, and consistently."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
import pytest
import yaml

from governance.serve import marquez_tags
from tests.serve.conftest import PRODUCER, Seeded, config_for, event

SPEC_FILE = Path("/work/shared/schemas/marquez-openapi.yml")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
NOMINAL = "2026-11-27T00:00:00Z"


def _spec() -> dict[str, Any]:
    if not SPEC_FILE.exists():
        pytest.skip("Marquez's OpenAPI document (../shared/schemas) is not on this machine")
    spec: dict[str, Any] = yaml.safe_load(SPEC_FILE.read_text())
    # The document's GraphNode.data is oneOf Dataset | Job with a discriminator on "type", but
    # neither schema requires anything, so every object matches both: read it as anyOf (what
    # the discriminator means). Its NodeType lacks DATASET_FIELD, which Marquez's own
    # /column-lineage answers (NodeType.java): add it.
    result = spec["components"]["schemas"]["SearchResult"]["properties"]
    for name in ("name", "updatedAt"):  # declared with an empty `type:`; Marquez sends text
        result[name]["type"] = "string"
    node = spec["components"]["schemas"]["GraphNode"]["properties"]["data"]
    node["anyOf"] = node.pop("oneOf")
    node.pop("discriminator")
    spec["components"]["schemas"]["NodeType"]["enum"].append("DATASET_FIELD")
    # FacetsResult.facets is declared one facet, where Marquez answers facets by name
    # (FacetsResult.java): read it as RunFacets.
    facets = spec["components"]["schemas"]["FacetsResult"]["properties"]["facets"]
    facets["$ref"] = "#/components/schemas/RunFacets"
    return spec


def _check(spec: dict[str, Any], template: str, answer: Any) -> None:
    responses = spec["paths"][template]["get"]["responses"]
    ok = responses.get("200") or responses[200]
    schema = {**ok["content"]["application/json"]["schema"], "components": spec["components"]}
    jsonschema.validate(answer, schema, format_checker=jsonschema.FormatChecker(["uuid"]))


def _url(path: str, *args: str) -> str:
    return "/api/v1" + path.format(*[quote(arg, safe="") for arg in args])


def _column_event() -> dict[str, Any]:
    posted = event(
        "etl.columns",
        inputs=["clean.adult"],
        outputs=["wide.adult"],
        run_id="01937a2e-0000-7000-8000-00000000c001",
        time_text="2026-11-27T14:05:00.000Z",
    )
    facet = {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/x.json"}
    posted["run"]["facets"] = {"nominalTime": {**facet, "nominalStartTime": NOMINAL}}
    posted["outputs"][0]["facets"]["columnLineage"] = {
        **facet,
        "fields": {
            "age": {
                "inputFields": [{"namespace": "warehouse", "name": "clean.adult", "field": "age"}],
                "transformationType": "IDENTITY",
            }
        },
    }
    return posted


@pytest.fixture
def client(client_for: Any, seeded: Seeded) -> Any:
    client = client_for(config_for(seeded.url))
    assert client.post("/api/v1/lineage", json=_column_event()).status_code == 201
    return client


def test_every_read_of_marquez_python_answers_marquez_shapes(client: Any) -> None:
    spec = _spec()
    ns, job, dataset = "warehouse", "etl.columns", "wide.adult"
    run_id = "01937a2e-0000-7000-8000-00000000c001"
    reads = {
        "/namespaces": _url("/namespaces"),
        "/namespaces/{namespace}": _url("/namespaces/{0}", ns),
        "/sources": _url("/sources"),
        "/sources/{source}": _url("/sources/{0}", ns),
        "/namespaces/{namespace}/datasets": _url("/namespaces/{0}/datasets", ns),
        "/namespaces/{namespace}/datasets/{dataset}": _url(
            "/namespaces/{0}/datasets/{1}", ns, dataset
        ),
        "/namespaces/{namespace}/datasets/{dataset}/versions": _url(
            "/namespaces/{0}/datasets/{1}/versions", ns, dataset
        ),
        "/namespaces/{namespace}/jobs": _url("/namespaces/{0}/jobs", ns),
        "/namespaces/{namespace}/jobs/{job}": _url("/namespaces/{0}/jobs/{1}", ns, job),
        "/namespaces/{namespace}/jobs/{job}/versions": _url(
            "/namespaces/{0}/jobs/{1}/versions", ns, job
        ),
        "/namespaces/{namespace}/jobs/{job}/runs": _url("/namespaces/{0}/jobs/{1}/runs", ns, job),
        "/jobs/runs/{id}": _url("/jobs/runs/{0}", run_id),
        "/jobs/runs/{id}/facets": _url("/jobs/runs/{0}/facets", run_id) + "?type=run",
        "/lineage": "/api/v1/lineage?nodeId=job:warehouse:etl.columns&depth=20",
        "/column-lineage": "/api/v1/column-lineage?nodeId=dataset:warehouse:wide.adult"
        "&depth=20&withDownstream=False",
        "/tags": _url("/tags") + "?limit=100&offset=0",
        "/search": "/api/v1/search?q=adult",
        "/events/lineage": "/api/v1/events/lineage",
    }
    answers = {}
    for template, url in reads.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
        _check(spec, template, response.json())
        answers[template] = response.json()
    dataset_version = answers["/namespaces/{namespace}/datasets/{dataset}"]["currentVersion"]
    job_version = answers["/namespaces/{namespace}/jobs/{job}"]["currentVersion"]
    assert UUID.match(dataset_version) and UUID.match(job_version)
    for template, url in {
        "/namespaces/{namespace}/datasets/{dataset}/versions/{version}": _url(
            "/namespaces/{0}/datasets/{1}/versions/{2}", ns, dataset, dataset_version
        ),
        "/namespaces/{namespace}/jobs/{job}/versions/{version}": _url(
            "/namespaces/{0}/jobs/{1}/versions/{2}", ns, job, job_version
        ),
    }.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
        _check(spec, template, response.json())
    assert client.get("/api/v1/events?limit=100&offset=0").status_code == 200
    owner = answers["/namespaces/{namespace}"]["ownerName"]
    assert owner == "anonymous"
    columns = answers["/column-lineage"]["graph"]
    assert {node["id"] for node in columns} == {
        "datasetField:warehouse:wide.adult:age",
        "datasetField:warehouse:clean.adult:age",
    }
    hits = {item["nodeId"] for item in answers["/search"]["results"]}
    assert "dataset:warehouse:wide.adult" in hits and "job:warehouse:etl.columns" not in hits


def test_a_run_reads_the_same_everywhere(client: Any) -> None:
    run_id = "01937a2e-0000-7000-8000-00000000c001"
    alone = client.get(f"/api/v1/jobs/runs/{run_id}").json()
    listed = client.get("/api/v1/namespaces/warehouse/jobs/etl.columns/runs").json()["runs"][0]
    latest = client.get("/api/v1/namespaces/warehouse/jobs/etl.columns").json()["latestRun"]
    assert alone["nominalStartTime"] == NOMINAL
    assert alone == listed == latest
    facets = client.get(f"/api/v1/jobs/runs/{run_id}/facets", params={"type": "run"}).json()
    assert facets["facets"]["nominalTime"]["nominalStartTime"] == NOMINAL


def test_versions_and_times_are_real_and_stable(
    client_for: Any, client: Any, seeded: Seeded
) -> None:
    dataset = client.get("/api/v1/namespaces/warehouse/datasets/wide.adult").json()
    assert dataset["createdAt"] <= dataset["updatedAt"]
    versions = client.get("/api/v1/namespaces/warehouse/datasets/wide.adult/versions").json()
    assert versions["versions"][0]["version"] == dataset["currentVersion"]
    again = client_for(config_for(seeded.url))  # another server on the same store
    assert again.get("/api/v1/namespaces/warehouse/datasets/wide.adult").json() == dataset
    unknown = (
        "/api/v1/namespaces/warehouse/datasets/wide.adult/versions/"
        + "0" * 8
        + "-0000-5000-8000-"
        + "0" * 12
    )
    assert client.get(unknown).status_code == 404
    assert client.get("/api/v1/namespaces/nowhere").status_code == 404


TAGS_URL = "https://openlineage.io/spec/facets/1-0-0/TagsDatasetFacet.json#/$defs/TagsDatasetFacet"
JOB_TAGS_URL = "https://openlineage.io/spec/facets/1-0-0/TagsJobFacet.json#/$defs/TagsJobFacet"


def _tagged_event() -> dict[str, Any]:
    """A run writing a dataset tagged `gold`, its field `age` tagged `pii`, by a job tagged."""
    posted = event(
        "etl.tagged",
        inputs=["clean.adult"],
        outputs=["gold.adult"],
        run_id="01937a2e-0000-7000-8000-00000000d001",
        time_text="2026-11-27T14:10:00.000Z",
    )
    posted["outputs"][0]["facets"]["tags"] = {
        "_producer": PRODUCER,
        "_schemaURL": TAGS_URL,
        "tags": [
            {"key": "gold", "value": "true", "source": "USER"},
            {"key": "pii", "value": "true", "source": "DBT CORE", "field": "age"},
        ],
    }
    posted["job"]["facets"] = {
        "tags": {
            "_producer": PRODUCER,
            "_schemaURL": JOB_TAGS_URL,
            "tags": [{"key": "team", "value": "risk", "source": "USER"}],
        }
    }
    return posted


def test_tags_are_the_ones_events_carry_and_marquezs_own(client: Any) -> None:
    spec = _spec()
    empty = client.get("/api/v1/tags").json()
    _check(spec, "/tags", empty)
    assert [tag["name"] for tag in empty["tags"]] == ["PII", "SENSITIVE"]
    assert client.post("/api/v1/lineage", json=_tagged_event()).status_code == 201
    answer = client.get(_url("/tags") + "?limit=100&offset=0").json()
    _check(spec, "/tags", answer)
    tags = {tag["name"]: tag["description"] for tag in answer["tags"]}
    assert list(tags) == ["PII", "SENSITIVE", "gold", "pii", "team"]
    assert tags["PII"] == "Personally identifiable information"
    assert tags["gold"] == "OpenLineage tag on datasets (values: true)"
    assert tags["pii"] == "OpenLineage tag on fields (values: true)"
    assert tags["team"] == "OpenLineage tag on jobs (values: risk)"
    page = client.get("/api/v1/tags?limit=2&offset=2").json()
    assert [tag["name"] for tag in page["tags"]] == ["gold", "pii"]


def test_a_dataset_and_its_fields_show_their_tags(client: Any) -> None:
    spec = _spec()
    assert client.post("/api/v1/lineage", json=_tagged_event()).status_code == 201
    template = "/namespaces/{namespace}/datasets/{dataset}"
    dataset = client.get(
        _url(
            template.replace("{namespace}", "{0}").replace("{dataset}", "{1}"),
            "warehouse",
            "gold.adult",
        )
    ).json()
    _check(spec, template, dataset)
    assert dataset["tags"] == ["gold"]
    assert dataset["fields"] == [{"name": "age", "type": "int64", "tags": ["pii"]}]
    untagged = client.get("/api/v1/namespaces/warehouse/datasets/wide.adult").json()
    assert untagged["tags"] == [] and untagged["fields"][0]["tags"] == []


def test_a_tag_without_a_key_is_no_tag() -> None:
    facet = {"tags": [{"value": "true"}, "pii", {"key": "", "value": "x"}, {"key": "ok"}]}
    names = [tag["name"] for tag in marquez_tags.tag_list([("dataset", facet)])]
    assert names == ["PII", "SENSITIVE", "ok"]
    assert marquez_tags.dataset_tags({"tags": facet}) == ["ok"]
