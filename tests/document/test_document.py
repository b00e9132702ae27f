"""``governance document``: the Annex IV document from the store alone, signed, gaps, changes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from governance.audit import AuditStore
from governance.config import Settings
from governance.document.annex_iv import annex_iv_view
from governance.document.write import write_document
from governance.inventory.history import read_history
from governance.reporting import ReportResult, SigningConfig, init_dev_keys
from tests.inventory.records import REPO, append, record, window
from tests.reporting.conftest import pypdf_text

TEMPLATES = REPO / "report_templates"
DOCUMENTATION = {
    "model_card": {
        "intended_use": "Rank loan applications for manual review.",
        "limitations": ["Trained on 1994 census data.", "Noisy for small groups."],
        "performance_metrics": "Balanced accuracy against a floor of 0.75.",
    },
    "risk_management": {
        "risk_assessment": "Disparate impact on women.",
        "mitigations": "Per-group offsets.",
        "residual_risks": "Drift of the applicant population.",
    },
}


@dataclass
class Written:
    """A store with two versions of ``credit``, and the signed document of version 2.0.0."""

    url: str
    keys: Path
    result: ReportResult
    text: str
    records: dict[str, dict[str, Any]]


def make_store(path: Path) -> tuple[str, dict[str, dict[str, Any]]]:
    url = f"sqlite:///{path}"
    records = {
        "v1": record("credit", "1.0.0", measured=0.62, outcome="fail"),
        "v2": record(
            "credit",
            "2.0.0",
            measured=0.91,
            outcome="pass",
            policies=("fairness-baseline", "eu-ai-act", "explainability"),
            documentation=DOCUMENTATION,
            finished_at="2026-11-28T09:30:00Z",
        ),
    }
    with AuditStore.open(url) as store:
        append(store, records["v1"])
        append(store, records["v2"])
        store.append(
            "evaluation",
            window(records["v2"], "failed", "2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z"),
        )
        store.append(
            "report",
            {
                "evaluation_id": records["v2"]["evaluation_id"],
                "path": "reports/credit-2.pdf",
                "digest": "sha256:" + "cd" * 32,
                "signed": True,
                "signer": "CN=Model Validation",
                "dev_key": False,
                "timestamped": True,
                "attestation": None,
                "checkpoint": None,
            },
        )
    return url, records


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    folder = tmp_path_factory.mktemp("annex")
    url, records = make_store(folder / "audit.db")
    keys = folder / "keys"
    signing: SigningConfig = init_dev_keys(keys)
    with AuditStore.open(url, create=False) as store:
        result = write_document(
            store,
            "credit",
            folder / "credit.pdf",
            settings=Settings(),
            signing=signing,
            templates=TEMPLATES,
        )
    return Written(url, keys, result, pypdf_text(result.path), records)


def test_every_annex_iv_section_is_in_the_document(written: Written) -> None:
    for title in (
        "1. General description of the AI system",
        "2. Detailed description of the elements",
        "3. Monitoring, functioning and control",
        "4. Appropriateness of the performance metrics",
        "5. Risk management system",
        "6. Relevant changes made through the lifecycle",
        "7. Harmonised standards",
        "8. EU declaration of conformity",
        "9. Post-market monitoring system",
    ):
        assert title in written.text, title
    assert "version 2.0.0" in written.text
    assert "Rank loan applications for manual review." in written.text
    assert "Per-group offsets." in written.text


def test_the_test_logs_name_each_report_s_digest_and_signer(written: Written) -> None:
    flat = " ".join(written.text.split())
    assert written.records["v2"]["evaluation_id"] in flat
    assert "signed by CN=Model Validation" in flat
    assert "cd" * 8 in flat.replace(" ", "")


def test_gaps_name_their_annex_iv_point_and_documented_points_are_not_gaps(
    written: Written,
) -> None:
    flat = " ".join(written.text.split())
    assert "Annex IV 8" in flat and "EU declaration of conformity" in flat
    assert "Annex IV 2(e)" in flat and "Human oversight measures" in flat
    assert "Gap (Annex IV 5)" not in flat  # the risk management fields are documented
    assert "Gap (Annex IV 9): Post-market monitoring results" not in flat  # a window exists


def test_the_changes_since_the_previous_version_name_the_changed_rule(written: Written) -> None:
    flat = " ".join(written.text.split())
    assert "Changes since version 1.0.0" in flat
    changes = flat.split("Changes since version 1.0.0", 1)[1]
    assert "four-fifths-sex" in changes
    assert "added: explainability" in changes


def test_the_signature_and_store_verify(run: Any, written: Written) -> None:
    result = run(
        "verify",
        written.result.path,
        "--trust-root",
        written.keys / "governance-dev-cert.pem",
        "--attestation",
        written.result.attestation,
        "--store",
        written.url,
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "VALID" in result.stdout
    assert written.records["v2"]["evaluation_id"] in result.stdout


def test_the_document_is_recorded_but_not_as_a_test_log(written: Written) -> None:
    with AuditStore.open(written.url, create=False) as store:
        history = read_history(store, model="credit")
    documents = history.documents[written.records["v2"]["evaluation_id"]]
    assert documents[-1]["digest"] == written.result.sha256
    assert documents[-1]["document"]["kind"] == "annex-iv"
    assert all(
        "document" not in item
        for item in history.reports.get(written.records["v2"]["evaluation_id"], [])
    )


def test_a_changed_byte_fails_verification(run: Any, written: Written, tmp_path: Path) -> None:
    copy = tmp_path / "changed.pdf"
    data = bytearray(written.result.path.read_bytes())
    data[len(data) // 2] ^= 0x01
    copy.write_bytes(bytes(data))
    result = run("verify", copy, "--trust-root", written.keys / "governance-dev-cert.pem")
    assert result.exit_code == 1


def test_the_first_version_has_no_changes_and_lacks_monitoring(tmp_path: Path) -> None:
    url, _ = make_store(tmp_path / "audit.db")
    with AuditStore.open(url, create=False) as store:
        view = annex_iv_view(
            read_history(store, model="credit"),
            "credit",
            "1.0.0",
            required=Settings().required_policies,
            approvals="not configured",
        )
    assert view["changes"] is None
    points = {gap.point for gap in view["gaps"]}
    assert {"Annex IV 9", "Annex IV 5", "Annex IV 2(g)"} <= points
    assert [gap.section for gap in view["gaps"]] == sorted(gap.section for gap in view["gaps"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("no-such-model",), "no gate evaluation of model 'no-such-model'"),
        (("credit", "--version", "9.9.9"), "versions: 1.0.0, 2.0.0"),
    ],
)
def test_an_unknown_model_or_version_is_one_line_exit_2_nothing_written(
    run: Any, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    url, _ = make_store(tmp_path / "audit.db")
    with AuditStore.open(url, create=False) as store:
        before = len(list(store.entries()))
    out = tmp_path / "doc.pdf"
    result = run("document", *args, "--store", url, "-o", out, "--no-sign")
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()
    with AuditStore.open(url, create=False) as store:
        after = len(list(store.entries()))
    assert after == before


def test_the_gate_records_the_manifest_s_documentation(
    run: Any, tmp_path: Path, manifest_path: Path, policy_path: Path
) -> None:
    text = manifest_path.read_text(encoding="utf-8")
    manifest_path.write_text(
        text + "documentation:\n  model_card:\n    intended_use: Tests of the gate.\n",
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    result = run("check", manifest_path, "--policy", policy_path, "--store", url)
    assert result.exit_code in (0, 1), result.stderr
    with AuditStore.open(url, create=False) as store:
        stored = store.get_evaluation("latest")
    assert stored["documentation"] == {"model_card": {"intended_use": "Tests of the gate."}}
    out = tmp_path / "synthetic.pdf"
    written = run(
        "document", "synthetic", "--store", url, "-o", out, "--no-sign", "--templates", TEMPLATES
    )
    assert written.exit_code == 0, written.stderr
    assert "Tests of the gate." in pypdf_text(out)


def test_each_policy_shows_its_latest_evaluation_of_the_version(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    fairness = record("credit", "1.0.0", policies=("fairness-baseline",), measured=0.5)
    for finding in fairness["findings"]:
        finding["policy"] = "fairness-baseline"
    explain = record("credit", "1.0.0", policies=("explainability",))
    explain["findings"] = [
        {**explain["findings"][2], "policy": "explainability", "rule_id": "shap-explanation"}
    ]
    with AuditStore.open(url) as store:
        append(store, fairness)
        append(store, explain)
        view = annex_iv_view(
            read_history(store, model="credit"),
            "credit",
            "1.0.0",
            required=Settings().required_policies,
            approvals="not configured",
        )
    rules = {(row["rule"], row["evaluation_id"]) for row in view["findings"]}
    assert ("shap-explanation", explain["evaluation_id"]) in rules
    assert ("four-fifths-sex", fairness["evaluation_id"]) in rules
    assert {policy["name"] for policy in view["policies"]} == {
        "fairness-baseline",
        "explainability",
    }
