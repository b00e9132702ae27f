"""verify-model against hostile input: every forged, stale or swapped VSA is denied."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from governance.deploy import build_vsa, verify_model
from governance.deploy.bundle import json_bytes, sign_vsa, to_bundle
from governance.deploy.vsa import EXTENSION
from governance.keys import SigningConfig, SigningMaterial, init_dev_keys, load_signing_material

POLICY = {"name": "fair-lending", "version": "1.0.0", "path": "pack:fair-lending"}
NOW = dt.datetime.now(dt.UTC)


def stamp(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_for(model: Path, *, verdict: str = "passed", policies: Any = None) -> dict[str, Any]:
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    listed = policies if policies is not None else [POLICY]
    return {
        "evaluation_id": "0190e1f2-0000-7000-8000-000000000001",
        "finished_at": stamp(NOW),
        "tool": {"name": "governance", "version": "test"},
        "model": {"name": "credit", "version": "2.0.0", "risk_tier": "high"},
        "artifacts": {"model": {"path": "models/credit.skops", "digest": f"sha256:{digest}"}},
        "policies": [{**policy, "digest": "sha256:" + "1f" * 32} for policy in listed],
        "verdict": verdict,
        "fail_on": "high",
    }


@pytest.fixture(scope="module")
def trusted(tmp_path_factory: pytest.TempPathFactory) -> SigningConfig:
    return init_dev_keys(tmp_path_factory.mktemp("trusted"))


@pytest.fixture(scope="module")
def attacker(tmp_path_factory: pytest.TempPathFactory) -> SigningConfig:
    return init_dev_keys(tmp_path_factory.mktemp("attacker"))


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "credit.skops"
    path.write_bytes(b"model bytes " * 100)
    return path


def write(path: Path, statement: dict[str, Any], material: SigningMaterial) -> Path:
    path.write_bytes(json_bytes(to_bundle(sign_vsa(statement, material), material)))
    return path


def decide(model: Path, vsa: Path, roots: list[Path], **options: Any) -> str:
    options.setdefault("policy_set", ["pack:fair-lending"])
    decision = verify_model(model, attestation=vsa, trust_roots=roots, **options)
    assert decision.allowed == (decision.reason == "")
    return "allow" if decision.allowed else decision.reason


def test_a_genuine_vsa_is_allowed(model: Path, trusted: SigningConfig, tmp_path: Path) -> None:
    vsa = write(tmp_path / "v.json", build_vsa(record_for(model)), load_signing_material(trusted))
    assert decide(model, vsa, [trusted.cert]) == "allow"
    assert decide(model, vsa, [trusted.cert], policy_set=["fair-lending"]) == "allow"


def test_a_tampered_artifact_is_denied(model: Path, trusted: SigningConfig, tmp_path: Path) -> None:
    vsa = write(tmp_path / "v.json", build_vsa(record_for(model)), load_signing_material(trusted))
    model.write_bytes(model.read_bytes() + b"\x00")
    assert decide(model, vsa, [trusted.cert]).startswith("the VSA is for another artifact")


def test_a_tampered_vsa_is_denied(model: Path, trusted: SigningConfig, tmp_path: Path) -> None:
    material = load_signing_material(trusted)
    genuine = build_vsa(record_for(model, verdict="failed"))
    bundle = to_bundle(sign_vsa(genuine, material), material)
    forged = json.loads(json.dumps(genuine))
    forged["predicate"]["verificationResult"] = "PASSED"  # FAILED turned into PASSED
    forged["predicate"]["verifiedLevels"] = ["GOVERNANCE_PACK_FAIR_LENDING"]
    payload = json.dumps(forged, sort_keys=True, separators=(",", ":")).encode()
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(payload).decode()
    vsa = tmp_path / "v.json"
    vsa.write_bytes(json_bytes(bundle))
    assert decide(model, vsa, [trusted.cert]).startswith("the VSA's signature does not verify")
    envelope = bundle["dsseEnvelope"]  # the bare envelope, checked with the root's own key
    vsa.write_bytes(json_bytes(envelope))
    assert decide(model, vsa, [trusted.cert]).startswith("the VSA's signature does not verify")


def test_a_vsa_for_another_policy_set_is_denied(
    model: Path, trusted: SigningConfig, tmp_path: Path
) -> None:
    other = [{"name": "fairness-baseline", "version": "1.0.0", "path": "pack:fairness-baseline"}]
    statement = build_vsa(record_for(model, policies=other))
    vsa = write(tmp_path / "v.json", statement, load_signing_material(trusted))
    assert decide(model, vsa, [trusted.cert]) == (
        "the VSA's policy set does not include pack:fair-lending "
        "(it has: fairness-baseline, pack:fairness-baseline)"
    )
    # a policy of the user's named like the pack does not stand in for the pack
    mine = [{"name": "fair-lending", "version": "9.9.9", "path": "policies/fair-lending.yaml"}]
    vsa = write(
        tmp_path / "w.json",
        build_vsa(record_for(model, policies=mine)),
        load_signing_material(trusted),
    )
    assert decide(model, vsa, [trusted.cert]).startswith("the VSA's policy set does not include")
    assert decide(model, vsa, [trusted.cert], policy_set=["fair-lending"]) == "allow"


def test_a_policy_list_that_does_not_match_the_policy_digest_is_denied(
    model: Path, trusted: SigningConfig, tmp_path: Path
) -> None:
    statement = build_vsa(record_for(model, policies=[]))
    statement["predicate"][EXTENSION]["policies"] = [
        {"name": "fair-lending", "version": "1.0.0", "digest": {}, "refs": ["pack:fair-lending"]}
    ]
    vsa = write(tmp_path / "v.json", statement, load_signing_material(trusted))
    assert decide(model, vsa, [trusted.cert]) == (
        "the VSA's policy digest does not match the policies it lists"
    )


def test_a_failed_vsa_is_denied(model: Path, trusted: SigningConfig, tmp_path: Path) -> None:
    statement = build_vsa(record_for(model, verdict="failed"))
    vsa = write(tmp_path / "v.json", statement, load_signing_material(trusted))
    assert decide(model, vsa, [trusted.cert]).startswith("the VSA's verificationResult is 'FAILED'")


def test_an_untrusted_signer_is_denied(
    model: Path, trusted: SigningConfig, attacker: SigningConfig, tmp_path: Path
) -> None:
    statement = build_vsa(record_for(model))
    vsa = write(tmp_path / "v.json", statement, load_signing_material(attacker))
    assert decide(model, vsa, [trusted.cert]).startswith(
        "the VSA's signer is not trusted by the given trust roots"
    )
    bare = tmp_path / "e.json"  # the attacker's bare envelope, claiming the trusted key id
    envelope = sign_vsa(statement, load_signing_material(attacker))
    trusted_id = sign_vsa(statement, load_signing_material(trusted))["signatures"][0]["keyid"]
    envelope["signatures"][0]["keyid"] = trusted_id
    bare.write_bytes(json_bytes(envelope))
    assert decide(model, bare, [trusted.cert]).startswith("the VSA's signature does not verify")
    assert decide(model, vsa, []) == "no trust root given: pass --trust-root CERT"


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, Any] | None,
    *,
    ca: bool,
    not_after: dt.datetime,
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, issuer_key = (
        (x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer[0])]), issuer[1])
        if issuer
        else (name, key)
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=2))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def test_a_signer_issued_by_a_trusted_ca_is_allowed_until_it_expires(
    model: Path, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives import serialization

    ca_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = _certificate("Acme Root", ca_key, None, ca=True, not_after=NOW + dt.timedelta(days=30))
    root = tmp_path / "root.pem"
    root.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    statement = build_vsa(record_for(model))
    for days, expected in ((30, "allow"), (-1, "the VSA's signer is not trusted")):
        leaf = _certificate(
            "gate", leaf_key, ("Acme Root", ca_key), ca=False,
            not_after=NOW + dt.timedelta(days=days),
        )  # fmt: skip
        vsa = write(tmp_path / f"{days}.json", statement, SigningMaterial(key=leaf_key, cert=leaf))
        assert decide(model, vsa, [root]).startswith(expected)


def test_stale_and_future_vsas_are_denied(
    model: Path, trusted: SigningConfig, tmp_path: Path
) -> None:
    material = load_signing_material(trusted)
    old = build_vsa(record_for(model), time_verified=stamp(NOW - dt.timedelta(days=2)))
    vsa = write(tmp_path / "old.json", old, material)
    assert decide(model, vsa, [trusted.cert]) == "allow"  # an old VSA of the same digest is fine
    too_old = decide(model, vsa, [trusted.cert], max_age=dt.timedelta(days=1))
    assert too_old.startswith("the VSA is older than --max-age")
    assert decide(model, vsa, [trusted.cert], max_age=dt.timedelta(days=3)) == "allow"
    future = build_vsa(record_for(model), time_verified=stamp(NOW + dt.timedelta(hours=1)))
    vsa = write(tmp_path / "future.json", future, material)
    assert decide(model, vsa, [trusted.cert]).endswith("is in the future")


def test_a_vsa_from_another_verifier_is_denied(
    model: Path, trusted: SigningConfig, tmp_path: Path
) -> None:
    statement = build_vsa(record_for(model))
    statement["predicate"]["verifier"]["id"] = "https://example.com/other-verifier"
    vsa = write(tmp_path / "v.json", statement, load_signing_material(trusted))
    assert decide(model, vsa, [trusted.cert]).startswith(
        "the VSA is from verifier 'https://example.com/other-verifier'"
    )


def test_a_huge_vsa_is_refused_unread(model: Path, trusted: SigningConfig, tmp_path: Path) -> None:
    from governance.errors import InputError

    vsa = tmp_path / "huge.json"
    vsa.write_bytes(b" " * (4 * 1024 * 1024 + 1))
    with pytest.raises(InputError, match="larger than 4 MiB"):
        verify_model(model, ["x"], attestation=vsa, trust_roots=[trusted.cert])


def test_a_certificate_issued_by_a_non_ca_leaf_is_denied(model: Path, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    ca_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    forged_key = ec.generate_private_key(ec.SECP256R1())
    later = NOW + dt.timedelta(days=30)
    ca = _certificate("Acme Root", ca_key, None, ca=True, not_after=later)
    leaf = _certificate("gate", leaf_key, ("Acme Root", ca_key), ca=False, not_after=later)
    forged = _certificate("forged", forged_key, ("gate", leaf_key), ca=False, not_after=later)
    root = tmp_path / "root.pem"
    root.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    material = SigningMaterial(key=forged_key, cert=forged)
    bundle = to_bundle(sign_vsa(build_vsa(record_for(model)), material), material)
    der = [c.public_bytes(serialization.Encoding.DER) for c in (forged, leaf)]
    bundle["verificationMaterial"] = {
        "x509CertificateChain": {
            "certificates": [{"rawBytes": base64.b64encode(d).decode()} for d in der]
        },
        "tlogEntries": [],
    }
    vsa = tmp_path / "v.json"
    vsa.write_bytes(json_bytes(bundle))
    assert decide(model, vsa, [root]) == (
        "the VSA's signer is not trusted by the given trust roots "
        "(no trust root issued its certificate)"
    )
