"""The VSA a check writes: SLSA VSA v1 content, schemas, DSSE and Sigstore bundle form."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from governance.canonical import canonical_json
from tests.attestations.conftest import IMAGE, Gated, log_size, signing_settings
from tests.conftest import CliRun as Run

SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "schemas"


def envelope_of(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def statement_of(path: Path) -> dict[str, Any]:
    return json.loads(base64.b64decode(envelope_of(path)["payload"]))


def bundle_of(vsa: Path) -> dict[str, Any]:
    return json.loads(vsa.with_name(vsa.name.replace(".json", ".sigstore.json")).read_text())


def _json_names(schema: Any) -> Any:
    """The generated schema's oneOf ``required`` protobuf names as JSON names (README.md)."""
    if isinstance(schema, dict):
        fixed = {key: _json_names(value) for key, value in schema.items()}
        if "oneOf" in fixed:
            for branch in fixed["oneOf"]:
                branch["required"] = [
                    re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)
                    for name in branch.get("required", [])
                ]
        return fixed
    if isinstance(schema, list):
        return [_json_names(item) for item in schema]
    return schema


def test_a_passed_check_writes_a_vsa_v1_bound_to_the_model_digest(gated: Gated) -> None:
    from governance.audit import AuditStore

    statement = statement_of(gated.passed_vsa)
    predicate = statement["predicate"]
    model_sha = hashlib.sha256(gated.model.read_bytes()).hexdigest()
    assert statement["predicateType"] == "https://slsa.dev/verification_summary/v1"
    assert statement["subject"] == [{"name": "model.skops", "digest": {"sha256": model_sha}}]
    assert predicate["verificationResult"] == "PASSED"
    assert predicate["verifiedLevels"] == ["GOVERNANCE_POLICY_ACCURACY_FLOOR"]
    assert predicate["policy"]["uri"] == "urn:governance:policy-set:accuracy-floor"
    assert predicate["slsaVersion"] == "1.0"
    extension = predicate[
        "https://governance-project.github.io/spec/attestations/vsa-evaluation/v1"
    ]
    [policy] = extension["policies"]
    assert (policy["name"], policy["version"]) == ("accuracy-floor", "1.2.0")
    # the record in the store is the one the VSA names, by digest and id
    with AuditStore.open(f"sqlite:///{gated.folder / 'audit.db'}", create=False) as store:
        record = store.get_evaluation(extension["evaluationId"])
    [evidence] = predicate["inputAttestations"]
    assert (
        evidence["digest"]["sha256"] == hashlib.sha256(canonical_json(record).encode()).hexdigest()
    )
    assert predicate["timeVerified"] == record["finished_at"]
    assert record["policies"][0]["digest"] == "sha256:" + policy["digest"]["sha256"]


def test_a_failed_check_writes_a_failed_vsa(gated: Gated) -> None:
    predicate = statement_of(gated.failed_vsa)["predicate"]
    assert predicate["verificationResult"] == "FAILED"
    assert predicate["verifiedLevels"] == ["FAILED"]


def test_an_image_digest_is_a_second_subject(gated: Gated) -> None:
    subjects = statement_of(gated.image_vsa)["subject"]
    name, _, digest = IMAGE.rpartition("@")
    assert subjects[1] == {"name": name, "digest": {"sha256": digest.removeprefix("sha256:")}}


@pytest.mark.parametrize("which", ["passed_vsa", "failed_vsa", "image_vsa"])
def test_every_statement_is_valid_against_the_in_toto_vsa_schema(gated: Gated, which: str) -> None:
    schema = json.loads((SCHEMAS / "in-toto-vsa-v1.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    statement = statement_of(getattr(gated, which))
    validator.validate(statement)
    broken = copy.deepcopy(statement)
    broken["predicate"]["verificationResult"] = "OK"  # the schema does catch a wrong value
    assert not validator.is_valid(broken)


def test_the_bundle_is_valid_against_the_sigstore_bundle_schema(gated: Gated) -> None:
    schema = _json_names(json.loads((SCHEMAS / "sigstore-bundle.schema.json").read_text()))
    validator = jsonschema.Draft4Validator(schema)
    bundle = bundle_of(gated.passed_vsa)
    validator.validate(bundle)
    assert bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert bundle["verificationMaterial"]["tlogEntries"] == []
    assert bundle["dsseEnvelope"] == envelope_of(gated.passed_vsa)
    der = base64.b64decode(bundle["verificationMaterial"]["certificate"]["rawBytes"])
    cert = x509.load_pem_x509_certificate(Path(gated.keys.cert).read_bytes())
    assert der == cert.public_bytes(serialization.Encoding.DER)
    unknown = copy.deepcopy(bundle)
    unknown["verificationMaterial"]["tlog_entries"] = []
    assert not validator.is_valid(unknown)


def test_the_envelope_verifies_by_the_dsse_specification_independently(gated: Gated) -> None:
    """PAE and the ECDSA check written here from the DSSE spec, not with governance's code."""
    envelope = envelope_of(gated.passed_vsa)
    payload = base64.b64decode(envelope["payload"])
    kind = envelope["payloadType"].encode()
    message = b"DSSEv1 " + str(len(kind)).encode() + b" " + kind + b" "
    message += str(len(payload)).encode() + b" " + payload
    cert = x509.load_pem_x509_certificate(Path(gated.keys.cert).read_bytes())
    public_key = cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    [signature] = envelope["signatures"]
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert signature["keyid"] == hashlib.sha256(spki).hexdigest()
    sig = base64.b64decode(signature["sig"])
    public_key.verify(sig, message, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        public_key.verify(sig, message + b" ", ec.ECDSA(hashes.SHA256()))


def test_verify_model_allows_the_gated_model_and_denies_a_failed_one(
    run: Run, gated: Gated, deployable: Path
) -> None:
    root = str(gated.keys.cert)
    result = run("verify-model", deployable, "--policy-set", "accuracy-floor", "--trust-root", root)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("allow: sha256:")
    result = run(
        "verify-model", deployable, "--policy-set", "accuracy-perfect", "--trust-root", root,
        "--attestation", gated.failed_vsa,
    )  # fmt: skip
    assert (result.exit_code, result.stdout) == (
        1,
        "deny: the VSA's verificationResult is 'FAILED': the gate did not pass\n",
    )


def test_verify_model_reads_the_bare_envelope_and_checks_the_image(
    run: Run, gated: Gated, deployable: Path
) -> None:
    root = str(gated.keys.cert)
    args = ("verify-model", deployable, "--policy-set", "accuracy-floor", "--trust-root", root)
    result = run(*args, "--attestation", gated.image_vsa, "--image-digest", IMAGE)
    assert result.exit_code == 0, result.stdout
    other = "sha256:" + "cd" * 32
    result = run(*args, "--attestation", gated.image_vsa, "--image-digest", other)
    assert (result.exit_code, result.stdout) == (
        1,
        f"deny: the VSA does not name the image {other}\n",
    )


def test_bad_input_to_verify_model_is_exit_2(run: Run, gated: Gated, deployable: Path) -> None:
    root = str(gated.keys.cert)
    args = ("verify-model", deployable, "--policy-set", "accuracy-floor", "--trust-root", root)
    not_json = deployable.with_name("notes.txt")
    not_json.write_text("hello", encoding="utf-8")
    result = run(*args, "--attestation", not_json)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {not_json}: not a VSA: the file is not JSON")
    report_like = deployable.with_name("other.intoto.json")
    report_like.write_text(
        json.dumps({"payloadType": "text/plain", "payload": "", "signatures": []})
    )
    result = run(*args, "--attestation", report_like)
    assert result.exit_code == 2 and "payloadType is 'text/plain'" in result.stderr
    result = run(*args, "--max-age", "soon")
    assert result.exit_code == 2 and "max_age: must be a duration" in result.stderr
    missing = deployable.with_name("gone.skops")
    result = run("verify-model", missing, "--policy-set", "x", "--trust-root", root)
    assert (result.exit_code, result.stderr) == (2, f"Error: {missing}: model artifact not found\n")


def test_check_refuses_a_vsa_it_cannot_issue_before_recording_anything(
    run: Run, gated: Gated, tmp_path: Path
) -> None:
    folder = gated.folder
    db = tmp_path / "audit.db"
    base = ("check", folder / "manifest.yaml", "-p", folder / "accuracy-floor.yaml")
    store = ("--store", f"sqlite:///{db}")
    keys = ("--signing-key", gated.keys.key, "--signing-cert", gated.keys.cert)
    vsa = tmp_path / "m.vsa.json"
    result = run(*base, *store, "--vsa", vsa)  # no signing key
    assert result.exit_code == 2 and "no signing key configured for the VSA" in result.stderr
    result = run(*base, *store, *keys, "--vsa", vsa, "--dry-run")
    assert result.exit_code == 2 and "a dry run records nothing" in result.stderr
    result = run(*base, *store, *keys, "--vsa", tmp_path / "missing" / "m.vsa.json")
    assert result.exit_code == 2
    assert log_size(db) == 0 and not vsa.exists()


def test_a_vsa_needs_a_model_file(run: Run, gated: Gated, tmp_path: Path) -> None:
    from tests.conftest import MANIFEST, synthetic_frame

    synthetic_frame().to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    db = tmp_path / "audit.db"
    result = run(
        "check", tmp_path / "manifest.yaml", "-p", gated.folder / "accuracy-floor.yaml",
        "--store", f"sqlite:///{db}", "--signing-key", gated.keys.key,
        "--signing-cert", gated.keys.cert, "--vsa", tmp_path / "m.vsa.json",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "vsa: a VSA binds a model artifact by its digest" in result.stderr
    assert not (tmp_path / "m.vsa.json").exists()
    assert log_size(db) == 0


def test_the_python_api_refuses_a_bad_image_digest(gated: Gated, tmp_path: Path) -> None:
    from governance.api import check
    from governance.errors import InputError

    with pytest.raises(InputError, match="vsa_image: must be sha256:"):
        check(
            gated.folder / "manifest.yaml",
            gated.folder / "accuracy-floor.yaml",
            store=tmp_path / "a.db",
            settings=signing_settings(gated.keys, gated.folder),
            vsa=tmp_path / "x.vsa.json",
            vsa_image="latest",
        )
    assert not (tmp_path / "a.db").exists()


def test_the_vsa_names_the_policies_required_for_the_tier(gated: Gated, tmp_path: Path) -> None:
    from governance.api import check
    from governance.config import load_settings

    flags = {
        "signing_key": str(gated.keys.key),
        "signing_cert": str(gated.keys.cert),
        "required_policies": '{"high": ["accuracy-floor"]}',
    }
    settings = load_settings(flags, env={}, cwd=gated.folder)
    vsa = tmp_path / "required.vsa.json"
    result = check(
        gated.folder / "manifest.yaml",
        gated.folder / "accuracy-floor.yaml",
        store=tmp_path / "audit.db",
        settings=settings,
        vsa=vsa,
    )
    assert result.exit_code == 0
    extension = statement_of(vsa)["predicate"][
        "https://governance-project.github.io/spec/attestations/vsa-evaluation/v1"
    ]
    assert extension["requiredPolicies"] == ["accuracy-floor"]
    assert (
        statement_of(gated.passed_vsa)["predicate"][
            "https://governance-project.github.io/spec/attestations/vsa-evaluation/v1"
        ]["requiredPolicies"]
        is None
    )


def test_governance_vsa_issues_one_for_a_stored_evaluation_with_its_image(
    run: Run, gated: Gated, deployable: Path, tmp_path: Path
) -> None:
    evaluation_id = statement_of(gated.passed_vsa)["predicate"][
        "https://governance-project.github.io/spec/attestations/vsa-evaluation/v1"
    ]["evaluationId"]
    store = f"sqlite:///{gated.folder / 'audit.db'}"
    keys = ("--signing-key", gated.keys.key, "--signing-cert", gated.keys.cert)
    out = tmp_path / "later.vsa.json"
    result = run(
        "vsa", evaluation_id, "-o", out, "--image-digest", IMAGE, "--store", store, *keys
    )  # fmt: skip
    assert (result.exit_code, result.stderr) == (0, f"VSA (PASSED): {out}\n")
    later = statement_of(out)
    assert (
        later["predicate"]["timeVerified"]
        == statement_of(gated.passed_vsa)["predicate"]["timeVerified"]
    )  # the time of the verification, not of issuing
    root = str(gated.keys.cert)
    result = run(
        "verify-model", deployable, "--policy-set", "accuracy-floor", "--trust-root", root,
        "--attestation", tmp_path / "later.vsa.sigstore.json", "--image-digest", IMAGE,
    )  # fmt: skip
    assert result.exit_code == 0, result.stdout
    result = run("vsa", "no-such-id", "-o", tmp_path / "x.vsa.json", "--store", store, *keys)
    assert result.exit_code == 2 and "no-such-id" in result.stderr
    assert not (tmp_path / "x.vsa.json").exists()


def test_check_with_vsa_end_to_end_on_the_command_line(
    run: Run, gated: Gated, tmp_path: Path
) -> None:
    folder = gated.folder
    db = tmp_path / "audit.db"
    keys = ("--signing-key", gated.keys.key, "--signing-cert", gated.keys.cert)
    base = ("check", folder / "manifest.yaml", "-p", folder / "accuracy-floor.yaml")
    vsa = tmp_path / "m.vsa.json"
    clash = run(*base, "--store", f"sqlite:///{db}", *keys, "--vsa", vsa, "--format", f"json={vsa}")
    assert clash.exit_code == 2
    assert f"the VSA and format json would both write {vsa}" in clash.stderr
    assert log_size(db) == 0
    result = run(*base, "--store", f"sqlite:///{db}", *keys, "--vsa", vsa)
    assert result.exit_code == 0, result.stderr
    allowed = run(
        "verify-model", folder / "model.skops", "--policy-set", "accuracy-floor",
        "--trust-root", gated.keys.cert, "--attestation", tmp_path / "m.vsa.sigstore.json",
    )  # fmt: skip
    assert allowed.exit_code == 0 and allowed.stdout.startswith("allow: ")
