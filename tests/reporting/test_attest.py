"""The DSSE envelope and in-toto statement, against the specifications."""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.hashes import SHA256

from governance.keys import load_signing_material
from governance.reporting.attest import (
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    AttestationFormatError,
    build_predicate,
    build_statement,
    key_id,
    open_envelope,
    pae,
    record_subjects,
    sign_statement,
    subject_digests,
)
from governance.reporting.issue import record_json


def test_pae_matches_the_dsse_specification_example():
    # https://github.com/secure-systems-lab/dsse/blob/master/protocol.md (test vector)
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    assert pae("", b"") == b"DSSEv1 0  0 "


def test_statement_names_the_artefacts_and_the_verdict(evaluation):
    subjects = record_subjects(evaluation, record_json(evaluation))
    statement = build_statement(subjects, build_predicate(evaluation, {"size": 3}))
    assert statement["_type"] == STATEMENT_TYPE
    assert statement["predicateType"] == PREDICATE_TYPE
    digests = subject_digests(statement)
    assert digests["model"] == evaluation["artifacts"]["model"]["digest"].removeprefix("sha256:")
    assert digests["data"] == evaluation["artifacts"]["data"]["digest"].removeprefix("sha256:")
    predicate = statement["predicate"]
    assert predicate["verdict"] == "failed"
    assert predicate["evaluation"]["id"] == evaluation["evaluation_id"]
    assert predicate["auditCheckpoint"] == {"size": 3}
    assert [p["version"] for p in predicate["policies"]] == ["1.0.0", "0.3.1"]
    assert predicate["policies"][0]["digest"]["sha256"] == (
        evaluation["policies"][0]["digest"].removeprefix("sha256:")
    )
    assert [f["ruleId"] for f in predicate["findings"]] == [
        f["rule_id"] for f in evaluation["findings"]
    ]


def test_without_a_model_artifact_the_model_subject_is_left_out(evaluation):
    evaluation["artifacts"]["model"] = None
    subjects = record_subjects(evaluation, record_json(evaluation))
    assert [s["annotations"]["role"] for s in subjects] == ["data", "evaluation"]


def test_a_record_with_absolute_paths_is_attested_by_file_names(evaluation):
    old = json.loads(json.dumps(evaluation))  # as records of earlier releases hold them
    old["artifacts"]["model"]["path"] = "/home/alice/work/models/baseline.skops"
    old["manifest"]["path"] = "/home/alice/work/baseline.yaml"
    old["policies"][0]["path"] = "/opt/venv/lib/governance/_packs/fairness-baseline.yaml"
    statement = json.dumps([record_subjects(old, b"{}"), build_predicate(old, None)])
    assert "/home/alice" not in statement
    assert "/opt/venv" not in statement
    assert '"name": "baseline.skops"' in statement


def test_envelope_signature_covers_the_pae(evaluation, dev_keys):
    material = load_signing_material(dev_keys)
    statement = build_statement(
        record_subjects(evaluation, b"{}"), build_predicate(evaluation, None)
    )
    envelope = sign_statement(statement, material)
    assert envelope["payloadType"] == PAYLOAD_TYPE
    assert envelope["signatures"][0]["keyid"] == key_id(material.cert)
    payload = base64.b64decode(envelope["payload"])
    signature = base64.b64decode(envelope["signatures"][0]["sig"])
    # verifiable with nothing but the public key and the PAE, as any DSSE verifier does it
    material.cert.public_key().verify(signature, pae(PAYLOAD_TYPE, payload), ec.ECDSA(SHA256()))
    opened = open_envelope(json.dumps(envelope).encode(), material.cert)
    assert opened.signed_by_key
    assert opened.statement == statement


def test_a_changed_payload_or_payload_type_breaks_the_signature(evaluation, dev_keys, tmp_path):
    from governance.reporting import init_dev_keys

    material = load_signing_material(dev_keys)
    statement = build_statement(
        record_subjects(evaluation, b"{}"), build_predicate(evaluation, None)
    )
    envelope = sign_statement(statement, material)
    forged = dict(statement, predicate={**statement["predicate"], "verdict": "passed"})
    tampered = dict(envelope, payload=base64.b64encode(json.dumps(forged).encode()).decode())
    assert not open_envelope(json.dumps(tampered).encode(), material.cert).signed_by_key
    other = load_signing_material(init_dev_keys(tmp_path / "other"))
    assert not open_envelope(json.dumps(envelope).encode(), other.cert).signed_by_key
    with pytest.raises(AttestationFormatError, match="payloadType"):
        open_envelope(json.dumps(dict(envelope, payloadType="text/plain")).encode(), material.cert)


@pytest.mark.parametrize(
    "data",
    [b"not json", b"[]", b'{"payloadType": "application/vnd.in-toto+json"}', b'{"payload": "!!"}'],
)
def test_malformed_envelopes_are_format_errors(data, dev_keys):
    with pytest.raises(AttestationFormatError):
        open_envelope(data, None)
