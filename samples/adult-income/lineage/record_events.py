"""Write the OpenLineage events of the adult-income sample's data preparation and training.

Usage::

    python samples/adult-income/lineage/record_events.py

The sample's pipeline is two runs: ``prepare_data.py`` reads the UCI Adult files and writes the
two gzipped CSVs, then ``train.py`` reads them and writes the two skops models. This script
writes those runs' events as an OpenLineage producer would have sent them (START and COMPLETE
per run, in JSON lines), plus a DatasetEvent describing each UCI source file, into this folder:

- ``01-uci-adult-sources.json``: the source files (schema, ownership, documentation);
- ``02-prepare-data.jsonl``: the conversion run;
- ``03-train.jsonl``: the training run; its outputs carry each model's sha256 as their
  ``version`` facet, which is how ``governance check`` finds the run that made a model.

Run ids and times are fixed and the digests are computed from the committed files, so the output
only changes when the data, the models or the code commit named here change
(``tests/samples`` checks that the committed events are current).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent
REPO = "https://github.com/governance-project/governance"
# The commit that last changed prepare_data.py and train.py (git log -1 -- <file>).
CODE_COMMIT = "e699b4904446e5aa9ffb3d0fc9f5dba3028581ff"
PRODUCER = f"{REPO}/tree/{CODE_COMMIT}/samples/adult-income"
EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
FACETS = "https://openlineage.io/spec/facets"
JOB_NAMESPACE = "adult-income-sample"
UCI = "https://archive.ics.uci.edu"
UCI_PATH = "ml/machine-learning-databases/adult"
OWNER = "team:credit-ml@example.org"

PREPARE_RUN = "01936f6a-0000-7000-8000-00000000a001"
TRAIN_RUN = "01936f6a-0000-7000-8000-00000000a002"

COLUMNS = [
    ("age", "integer"),
    ("workclass", "string"),
    ("fnlwgt", "integer"),
    ("education", "string"),
    ("education-num", "integer"),
    ("marital-status", "string"),
    ("occupation", "string"),
    ("relationship", "string"),
    ("race", "string"),
    ("sex", "string"),
    ("capital-gain", "integer"),
    ("capital-loss", "integer"),
    ("hours-per-week", "integer"),
    ("native-country", "string"),
    ("income", "string"),
]


def facet(schema: str, spec_version: str, /, **fields: Any) -> dict[str, Any]:
    """A facet with its producer and the schema URL of the official spec."""
    return {
        "_producer": PRODUCER,
        "_schemaURL": f"{FACETS}/{spec_version}/{schema}.json#/$defs/{schema}",
        **fields,
    }


def digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def table_facets(description: str, owners: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "schema": facet(
            "SchemaDatasetFacet",
            "1-2-0",
            fields=[{"name": name, "type": kind} for name, kind in COLUMNS],
        ),
        "ownership": facet("OwnershipDatasetFacet", "1-0-1", owners=owners),
        "documentation": facet("DocumentationDatasetFacet", "1-1-0", description=description),
        "datasetType": facet("DatasetTypeDatasetFacet", "1-0-1", datasetType="FILE"),
    }


def uci_source(name: str, rows: int) -> dict[str, Any]:
    uci_owner = [{"name": "organization:UCI Machine Learning Repository", "type": "PUBLISHER"}]
    facets = table_facets(
        f"UCI Adult (Census Income), {name}: {rows} rows from the 1994 US Census. "
        "Becker, B. & Kohavi, R. (1996), https://doi.org/10.24432/C5XW20, CC BY 4.0.",
        uci_owner,
    )
    facets["dataSource"] = facet(
        "DatasourceDatasetFacet", "1-0-1", name="UCI Machine Learning Repository", uri=UCI
    )
    return {"namespace": UCI, "name": f"{UCI_PATH}/{name}", "facets": facets}


def sample_file(relative: str, description: str, **extra: Any) -> dict[str, Any]:
    path = SAMPLE / relative
    facets = table_facets(description, [{"name": OWNER, "type": "MAINTAINER"}])
    facets["version"] = facet("DatasetVersionDatasetFacet", "1-0-1", datasetVersion=digest(path))
    facets.update(extra)
    return {"namespace": "file", "name": f"samples/adult-income/{relative}", "facets": facets}


def model_file(relative: str, description: str) -> dict[str, Any]:
    path = SAMPLE / relative
    return {
        "namespace": "file",
        "name": f"samples/adult-income/{relative}",
        "facets": {
            "version": facet("DatasetVersionDatasetFacet", "1-0-1", datasetVersion=digest(path)),
            "datasetType": facet(
                "DatasetTypeDatasetFacet", "1-0-1", datasetType="MODEL", subType="skops"
            ),
            "ownership": facet(
                "OwnershipDatasetFacet", "1-0-1", owners=[{"name": OWNER, "type": "MAINTAINER"}]
            ),
            "documentation": facet("DocumentationDatasetFacet", "1-1-0", description=description),
        },
        "outputFacets": {
            "outputStatistics": facet(
                "OutputStatisticsOutputDatasetFacet", "1-0-2", size=path.stat().st_size
            )
        },
    }


def job(name: str, script: str, description: str) -> dict[str, Any]:
    return {
        "namespace": JOB_NAMESPACE,
        "name": name,
        "facets": {
            "sourceCodeLocation": facet(
                "SourceCodeLocationJobFacet",
                "1-1-0",
                type="git",
                url=f"{REPO}/blob/{CODE_COMMIT}/samples/adult-income/{script}",
                repoUrl=f"{REPO}.git",
                path=f"samples/adult-income/{script}",
                version=CODE_COMMIT,
            ),
            "jobType": facet(
                "JobTypeJobFacet",
                "2-0-4",
                processingType="BATCH",
                integration="PYTHON",
                jobType="JOB",
            ),
            "documentation": facet("DocumentationJobFacet", "1-1-0", description=description),
        },
    }


def run_events(
    run_id: str,
    job_facets: dict[str, Any],
    times: tuple[str, str],
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    engine = {
        "processing_engine": facet(
            "ProcessingEngineRunFacet", "1-1-1", name="python", version="3.11"
        )
    }
    bare = [{"namespace": item["namespace"], "name": item["name"]} for item in outputs]
    return [
        {
            "eventType": state,
            "eventTime": time,
            "run": {"runId": run_id, "facets": engine},
            "job": job_facets,
            "inputs": inputs,
            "outputs": bare if state == "START" else outputs,
            "producer": PRODUCER,
            "schemaURL": f"{EVENT_SCHEMA}#/$defs/RunEvent",
        }
        for state, time in zip(("START", "COMPLETE"), times, strict=True)
    ]


def events() -> dict[str, list[dict[str, Any]]]:
    """The events of each file, by file name."""
    sources = [uci_source("adult.data", 32561), uci_source("adult.test", 16281)]
    source_events = [
        {
            "eventTime": "2026-11-20T09:00:00.000Z",
            "dataset": source,
            "producer": PRODUCER,
            "schemaURL": f"{EVENT_SCHEMA}#/$defs/DatasetEvent",
        }
        for source in sources
    ]
    raw = [{"namespace": s["namespace"], "name": s["name"]} for s in sources]
    converted = [
        sample_file("data/adult-train.csv.gz", "Adult training split (adult.data), as CSV."),
        sample_file("data/adult-test.csv.gz", "Adult test split (adult.test), as CSV."),
    ]
    prepare = run_events(
        PREPARE_RUN,
        job(
            "adult-income.prepare_data",
            "prepare_data.py",
            "Convert the raw UCI Adult files into gzipped CSVs (format only, no row changed).",
        ),
        ("2026-11-20T09:05:00.000Z", "2026-11-20T09:05:04.250Z"),
        raw,
        converted,
    )
    train_inputs = [{"namespace": c["namespace"], "name": c["name"]} for c in converted]
    train = run_events(
        TRAIN_RUN,
        job(
            "adult-income.train",
            "train.py",
            "Fit the baseline logistic regression on adult-train and fold the per-group "
            "offsets into the mitigated copy; adult-test is read for the printed figures only.",
        ),
        ("2026-11-20T09:10:00.000Z", "2026-11-20T09:10:41.800Z"),
        train_inputs,
        [
            model_file("models/baseline.skops", "adult-income 1.0.0: the unmitigated baseline."),
            model_file("models/mitigated.skops", "adult-income 1.1.0: per-group offsets."),
        ],
    )
    return {
        "01-uci-adult-sources.json": source_events,
        "02-prepare-data.jsonl": prepare,
        "03-train.jsonl": train,
    }


def render(name: str, items: list[dict[str, Any]]) -> str:
    if name.endswith(".jsonl"):
        return "".join(json.dumps(item, sort_keys=True) + "\n" for item in items)
    return json.dumps(items, indent=2, sort_keys=True) + "\n"


def main() -> None:
    for name, items in events().items():
        (HERE / name).write_text(render(name, items), encoding="utf-8")
        print(f"wrote {HERE / name} ({len(items)} events)")


if __name__ == "__main__":
    main()
