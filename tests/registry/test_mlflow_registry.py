"""Gate a model registered in a real MLflow tracking store (SQLite backend, local artifacts)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.registry.conftest import log_version, manifest, policy


def _client():
    from mlflow import MlflowClient

    return MlflowClient()


def _file_digest(version: str = "1") -> str:
    """sha256 of the model file of ``credit`` ``version`` (other tests' versions share the
    template's artifact root, so the file is found through the registry, not by a search)."""
    from urllib.parse import urlparse

    client = _client()
    model_id = client.get_model_version("credit", version).source.removeprefix("models:/")
    folder = Path(urlparse(client.get_logged_model(model_id).artifact_location).path)
    path = folder / "model.skops"
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_gate_by_alias_records_facts_tags_the_version_and_promotes(registry, run_cli):
    passing = policy(registry.folder, "credit-accuracy", 0.5)
    model = manifest(registry.folder, "models:/credit@candidate")
    result = run_cli(
        "check",
        model,
        "-p",
        passing,
        "--store",
        "sqlite:///audit.db",
        "--format",
        "json",
        "--promote",
        "champion",
    )
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    facts = record["registry"]
    assert (facts["name"], facts["version"], facts["alias"]) == ("credit", "1", "candidate")
    assert facts["run_id"] == registry.run_id
    assert facts["params"] == {"C": "1.0"} and facts["metrics"] == {"train_accuracy": 0.78}
    assert [d["name"] for d in facts["datasets"]] == ["german-train"]
    assert facts["datasets"][0]["source"] == "data/german-train.csv.gz"
    # no machine paths: the local store is named by its file only
    assert facts["tracking"] == "sqlite:mlflow.db"
    assert str(registry.folder) not in result.stdout
    artifact = record["artifacts"]["model"]
    assert artifact["path"] == "models:/credit/1" and artifact["format"] == "skops"
    assert artifact["digest"] == _file_digest()
    assert record["lineage"]["training_run"].replace("-", "") == registry.run_id
    version = _client().get_model_version("credit", "1")
    assert version.tags["governance.verdict"] == "passed"
    assert version.tags["governance.evaluation_id"] == record["evaluation_id"]
    assert version.tags["governance.policies"] == "credit-accuracy@1.2.0"
    assert "governance.report_digest" not in version.tags
    assert str(_client().get_model_version_by_alias("credit", "champion").version) == "1"
    assert "Promoted: alias champion of credit now points at version 1" in result.stderr


def test_the_mlflow_run_is_the_training_run_in_the_lineage_graph(registry, run_cli):
    from governance.audit import AuditStore

    passing = policy(registry.folder, "credit-accuracy", 0.5)
    model = manifest(registry.folder, "models:/credit/1")
    assert run_cli("check", model, "-p", passing, "--store", "sqlite:///audit.db").exit_code == 0
    assert run_cli("check", model, "-p", passing, "--store", "sqlite:///audit.db").exit_code == 0
    with AuditStore.open("sqlite:///audit.db", create=False) as store:
        run = store.lineage.run(str(__import__("uuid").UUID(hex=registry.run_id)))
        assert run.summary.job.endswith("credit-training")
        events = [e for e in store.entries() if e.kind == "openlineage.event"]
    mlflow_events = [e for e in events if e.payload["job"]["namespace"] == "mlflow"]
    assert len(mlflow_events) == 2  # START and COMPLETE, kept once over two checks
    complete = mlflow_events[-1].payload
    from tests.lineage.spec import validate_event

    for event in mlflow_events:
        validate_event(event.payload)  # the official OpenLineage schema and facet schemas
    assert [d["name"] for d in complete["inputs"]] == ["data/german-train.csv.gz"]
    assert complete["outputs"][0]["name"] == "models:/credit/1"


def test_a_failing_gate_leaves_the_alias_where_it_was(registry, run_cli):
    client = _client()
    client.set_registered_model_alias("credit", "champion", "1")
    log_version(registry.tracking)  # version 2, now the candidate
    failing = policy(registry.folder, "credit-accuracy", 0.99)
    model = manifest(registry.folder, "models:/credit@candidate")
    result = run_cli(
        "check", model, "-p", failing, "--store", "sqlite:///audit.db", "--promote", "champion"
    )
    assert result.exit_code == 1
    assert str(client.get_model_version_by_alias("credit", "champion").version) == "1"
    assert client.get_model_version("credit", "2").tags["governance.verdict"] == "failed"
    assert "Not promoted" in result.stderr and "stays at version 1" in result.stderr


def test_a_cloudpickle_version_is_refused_unless_trusted(registry, run_cli):
    log_version(registry.tracking, fmt="cloudpickle", alias="pickled")
    passing = policy(registry.folder, "credit-accuracy", 0.5)
    model = manifest(registry.folder, "models:/credit@pickled")
    result = run_cli("check", model, "-p", passing, "--store", "sqlite:///audit.db")
    assert result.exit_code == 2
    assert "registered model credit version 2 is a cloudpickle file: it runs code" in result.stderr
    assert "model.trusted" in result.stderr
    assert not (registry.folder / "audit.db").exists()
    trusted = run_cli(
        "check", model, "-p", passing, "--store", "sqlite:///audit.db", "--trust-model"
    )
    assert trusted.exit_code == 0, trusted.stderr


@pytest.mark.parametrize(
    ("uri", "said"),
    [
        ("models:/nobody/1", "models:/nobody/1: nobody version 1 is not in the MLflow registry"),
        ("models:/credit/7", "models:/credit/7: credit version 7 is not in the MLflow registry"),
        ("models:/credit@ghost", "alias 'ghost' of model 'credit' is not in the MLflow registry"),
    ],
)
def test_an_unknown_model_version_or_alias_is_one_line_and_records_nothing(
    registry, run_cli, uri, said
):
    passing = policy(registry.folder, "credit-accuracy", 0.5)
    result = run_cli(
        "check", manifest(registry.folder, uri), "-p", passing, "--store", "sqlite:///audit.db"
    )
    assert result.exit_code == 2
    assert said in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (registry.folder / "audit.db").exists()


def test_an_unreachable_tracking_server_is_one_line(registry, run_cli, monkeypatch):
    import time

    monkeypatch.setenv("GOVERNANCE_MLFLOW_TRACKING_URI", "http://user:secret@127.0.0.1:9")
    passing = policy(registry.folder, "credit-accuracy", 0.5)
    model = manifest(registry.folder, "models:/credit@candidate")
    started = time.monotonic()
    result = run_cli("check", model, "-p", passing, "--store", "sqlite:///audit.db")
    assert time.monotonic() - started < 30
    assert result.exit_code == 2
    assert "models:/credit@candidate: cannot read the MLflow registry at http://127.0.0.1:9" in (
        result.stderr
    )
    assert "secret" not in result.stderr
    assert not (registry.folder / "audit.db").exists()


def test_promote_is_refused_without_a_registry_uri_or_with_a_dry_run(registry, run_cli):
    passing = policy(registry.folder, "credit-accuracy", 0.5)
    model = manifest(registry.folder, "models:/credit@candidate")
    dry = run_cli("check", model, "-p", passing, "--dry-run", "--promote", "champion")
    assert dry.exit_code == 2 and "dry run records nothing" in dry.stderr


def test_the_python_api_promotes_as_the_cli_does(registry):
    import governance

    passing = policy(registry.folder, "credit-accuracy", 0.5)
    model = manifest(registry.folder, "models:/credit/1")
    evaluation = governance.check(model, passing, store="sqlite:///audit.db", promote="prod")
    assert evaluation.passed
    assert str(_client().get_model_version_by_alias("credit", "prod").version) == "1"


def _rewrite_mlmodel(registry, change) -> None:
    """Edit the MLmodel file of the version the template registered (hostile registry)."""
    from urllib.parse import unquote, urlsplit

    import yaml

    root = _client().get_model_version_download_uri("credit", "1")
    path = Path(unquote(urlsplit(root).path)) / "MLmodel"
    assert str(path).startswith(str(registry.folder))
    spec = yaml.safe_load(path.read_text())
    change(spec)
    path.write_text(yaml.safe_dump(spec))


def _point_artifacts_at_copy(registry) -> None:
    """Make the copied store read the copied artifacts (the template's stay untouched)."""
    import sqlite3

    template_root = None
    with sqlite3.connect(registry.folder / "mlflow" / "mlflow.db") as db:
        for table, column in (
            ("experiments", "artifact_location"),
            ("model_versions", "storage_location"),
            ("logged_models", "artifact_location"),
        ):
            rows = db.execute(f"SELECT {column} FROM {table}").fetchall()
            for (value,) in rows:
                if value and "/mlflow/artifacts" in value:
                    template_root = value.split("/mlflow/artifacts")[0]
        assert template_root is not None
        copy_root = (registry.folder).as_uri()
        for table, column in (
            ("experiments", "artifact_location"),
            ("model_versions", "storage_location"),
            ("logged_models", "artifact_location"),
            ("model_versions", "source"),
        ):
            db.execute(
                f"UPDATE {table} SET {column} = replace({column}, ?, ?)",
                (template_root, copy_root),
            )


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            lambda spec: spec["flavors"].pop("sklearn"),
            "registered model credit version 1 has no sklearn flavour (flavours: python_function)",
        ),
        (
            lambda spec: spec["flavors"]["sklearn"].update(pickled_model="../../../MLmodel"),
            "registered model credit version 1: its MLmodel file names no model file this can read",
        ),
    ],
    ids=["no sklearn flavour", "model file outside the version"],
)
def test_a_version_governance_cannot_load_is_refused_naming_it(registry, run_cli, change, said):
    _point_artifacts_at_copy(registry)
    _rewrite_mlmodel(registry, change)
    passing = policy(registry.folder, "credit-accuracy", 0.5)
    result = run_cli(
        "check",
        manifest(registry.folder, "models:/credit/1"),
        "-p",
        passing,
        "--store",
        "sqlite:///audit.db",
    )
    assert result.exit_code == 2
    assert said in result.stderr
    assert not (registry.folder / "audit.db").exists()


def test_a_report_in_the_same_run_is_tagged_by_its_digest(registry, run_cli):
    pytest.importorskip("weasyprint")
    passing = policy(registry.folder, "credit-accuracy", 0.5)
    model = manifest(registry.folder, "models:/credit/1")
    result = run_cli(
        "check",
        model,
        "-p",
        passing,
        "--store",
        "sqlite:///audit.db",
        "--report",
        "report.pdf",
        "--no-sign",
    )
    assert result.exit_code == 0, result.stderr
    digest = "sha256:" + hashlib.sha256((registry.folder / "report.pdf").read_bytes()).hexdigest()
    assert _client().get_model_version("credit", "1").tags["governance.report_digest"] == digest
    # the next evaluation without a report removes the earlier report's digest
    assert run_cli("check", model, "-p", passing, "--store", "sqlite:///audit.db").exit_code == 0
    assert "governance.report_digest" not in _client().get_model_version("credit", "1").tags


def test_a_registry_that_fails_after_recording_says_the_evaluation_is_recorded(
    registry, run_cli, monkeypatch
):
    from governance.audit import AuditStore
    from governance.registry import mlflow as registry_client

    def refuse(*args, **kwargs):
        raise RuntimeError("503 Service Unavailable")

    monkeypatch.setattr(registry_client, "write_tags", refuse)
    passing = policy(registry.folder, "credit-accuracy", 0.5)
    model = manifest(registry.folder, "models:/credit@candidate")
    result = run_cli(
        "check", model, "-p", passing, "--store", "sqlite:///audit.db", "--promote", "champion"
    )
    assert result.exit_code == 2
    assert "is recorded (passed), but writing it back to the MLflow registry" in result.stderr
    assert "alias champion was not moved" in result.stderr
    with AuditStore.open("sqlite:///audit.db", create=False) as store:
        assert [e.kind for e in store.entries()].count("evaluation") == 1


def test_promote_without_a_registry_uri_is_refused(registry, run_cli):
    import shutil

    from tests.registry.conftest import SAMPLE

    shutil.copy(SAMPLE / "models" / "credit-logistic.skops", registry.folder / "model.skops")
    path = manifest(registry.folder, "models:/credit/1")
    path.write_text(path.read_text().replace("uri: models:/credit/1", "path: model.skops"))
    passing = policy(registry.folder, "credit-accuracy", 0.5)
    result = run_cli(
        "check", path, "-p", passing, "--store", "sqlite:///audit.db", "--promote", "champion"
    )
    assert result.exit_code == 2 and "the manifest has no model.uri" in result.stderr
    assert not (registry.folder / "audit.db").exists()


def test_without_mlflow_installed_the_error_names_the_extra(registry, run_cli, monkeypatch):
    import governance.extras

    real = governance.extras.installed
    monkeypatch.setattr(governance.extras, "installed", lambda m: m != "mlflow" and real(m))
    passing = policy(registry.folder, "credit-accuracy", 0.5)
    result = run_cli(
        "check",
        manifest(registry.folder, "models:/credit/1"),
        "-p",
        passing,
        "--store",
        "sqlite:///audit.db",
    )
    assert result.exit_code == 2
    assert "pip install 'governance[mlflow]'" in result.stderr


def test_lineage_rules_find_the_mlflow_run_on_the_first_check(registry, run_cli):
    path = registry.folder / "lineage.yaml"
    path.write_text(
        "apiVersion: governance/v1\nkind: Policy\n"
        "metadata: {name: lineage, version: 1.0.0}\nrules:\n"
        "  - {id: traced, title: Traced, severity: high, check: lineage.training_data_traced,\n"
        "     params: {max_hops: 1}, threshold: {max: 0}}\n"
    )
    model = manifest(registry.folder, "models:/credit/1")
    result = run_cli(
        "check", model, "-p", path, "--store", "sqlite:///audit.db", "--format", "json"
    )
    assert result.exit_code == 0, result.stdout
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["outcome"] == "pass" and finding["measured"] == 0


def test_a_vsa_of_a_registered_model_binds_the_file_loaded_from_the_registry(registry, tmp_path):
    import base64

    from governance.api import check
    from governance.config import load_settings
    from governance.keys import init_dev_keys

    keys = init_dev_keys(tmp_path / "keys")
    settings = load_settings(
        {"signing_key": str(keys.key), "signing_cert": str(keys.cert)}, cwd=registry.folder
    )
    passing = policy(registry.folder, "credit-accuracy", 0.5)
    model = manifest(registry.folder, "models:/credit@candidate")
    vsa = registry.folder / "credit.vsa.json"
    evaluation = check(model, passing, store="sqlite:///audit.db", settings=settings, vsa=vsa)
    assert evaluation.passed
    envelope = json.loads(vsa.read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    [subject] = statement["subject"]
    digest = _file_digest()
    assert subject["digest"]["sha256"] == digest.removeprefix("sha256:")


def test_a_registered_champion_predicts_the_challengers_rows(registry, run_cli):
    """`--baseline models:/credit@champion`: the champion is read from the registry and judged
    on the challenger's own rows; the record names the version the alias resolved to."""
    _client().set_registered_model_alias("credit", "champion", "1")
    log_version(registry.tracking, alias="candidate")  # version 2, the same estimator
    rules = registry.folder / "comparison.yaml"
    rules.write_text(
        "apiVersion: governance/v1\nkind: Policy\nmetadata: {name: champion, version: 1.0.0}\n"
        "rules:\n"
        "  - {id: accuracy-drop, title: No drop, severity: high,"
        " check: comparison.performance_drop, params: {metric: accuracy}, threshold: {max: 0.0}}\n"
    )
    model = manifest(registry.folder, "models:/credit@candidate")
    result = run_cli(
        "check", model, "-p", rules, "--baseline", "models:/credit@champion",
        "--store", "sqlite:///audit.db", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    baseline = record["baseline"]
    assert baseline["registry"] == {
        "uri": "models:/credit@champion",
        "resolved": "models:/credit/1",
    }
    assert (baseline["name"], baseline["version"]) == ("credit", "1")
    assert "manifest" not in baseline  # a registered version has no manifest
    assert baseline["same_rows"]["rows"] == baseline["same_rows"]["rows_agreeing"]
    assert baseline["model"]["path"] == "models:/credit/1"
    assert record["artifacts"]["model"]["path"] == "models:/credit/2"
    [finding] = record["findings"]
    assert finding["outcome"] == "pass"
    evidence = finding["evidence"]
    assert evidence["challenger"] == evidence["champion_value"] and evidence["point"] == 0
    assert evidence["champion"] == {"name": "credit", "version": "1"}


def test_an_unknown_registered_champion_is_one_line_and_records_nothing(registry, run_cli):
    rules = policy(registry.folder, "credit-accuracy", 0.5)
    model = manifest(registry.folder, "models:/credit@candidate")
    result = run_cli(
        "check", model, "-p", rules, "--baseline", "models:/credit@nobody",
        "--store", "sqlite:///audit.db",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "models:/credit@nobody" in result.stderr and len(result.stderr.splitlines()) <= 2
    assert not (registry.folder / "audit.db").exists()
