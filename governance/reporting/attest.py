"""The report's attestation: an in-toto Statement v1 in a signed DSSE envelope.

The statement binds, by sha256, the artefacts a report speaks about (the report PDF, the model
artifact, the evaluation data and the evaluation record) to a predicate summarising the
evaluation: policies with their digests and versions, the verdict, the findings, the evaluation
id and the audit checkpoint. The envelope's signature covers the DSSE pre-authentication
encoding (PAE) of the payload, as the DSSE specification requires, and is made with the same
key as the PDF's PAdES signature: the envelope's ``keyid`` is the sha256 of that certificate's
public key, and a verifier checks the envelope with the certificate found in the signed PDF.

Two statements are made for one report. The *embedded* one (a PDF/A-3 attachment of the report)
cannot name the PDF that contains it, so its subjects are the model, the data and the record;
the *detached* one (``report.intoto.json``) adds the finished PDF. Both carry the same predicate.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from governance.keys import SigningMaterial
from governance.paths import shown_name

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
PREDICATE_TYPE = "https://governance-project.github.io/spec/attestations/compliance-report/v1"
EVALUATION_SUBJECT = "evaluation.json"
"""Name of the evaluation record in the statement and of its attachment in the PDF."""
ATTESTATION_ATTACHMENT = "attestation.intoto.json"
"""Name of the embedded attestation attachment in the PDF."""

BAD_ENVELOPE = "the attestation is not a DSSE envelope: {error}"
BAD_PAYLOAD_TYPE = "the attestation's payloadType is {found!r}, not {expected!r}"
BAD_STATEMENT = "the attestation's payload is not an in-toto Statement v1: {error}"
NO_VALID_SIGNATURE = "no signature of the attestation verifies with the report signer's key"


class AttestationFormatError(ValueError):
    """An attestation envelope or statement is malformed."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """The DSSE v1 pre-authentication encoding of a payload.

    Parameters
    ----------
    payload_type
        The envelope's ``payloadType``.
    payload
        The raw (not base64) payload.

    Returns
    -------
    bytes
        ``DSSEv1 SP LEN(type) SP type SP LEN(body) SP body``.
    """
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def sha256_of(data: bytes) -> str:
    """Lowercase hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def hex_digest(digest: str | None) -> str | None:
    """``sha256:<hex>`` (the record's notation) to ``<hex>``; ``None`` stays ``None``."""
    if not digest:
        return None
    algorithm, _, value = digest.partition(":")
    return value if algorithm == "sha256" and value else None


def key_id(cert: x509.Certificate) -> str:
    """The envelope ``keyid`` of a signer: sha256 hex of its SubjectPublicKeyInfo (DER)."""
    from cryptography.hazmat.primitives import serialization

    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return sha256_of(spki)


def record_subjects(record: Mapping[str, Any], record_json: bytes) -> list[dict[str, Any]]:
    """The statement subjects every report has: model artifact, evaluation data and record.

    Parameters
    ----------
    record
        The evaluation record.
    record_json
        The record as attached to the report (canonical JSON, UTF-8).

    Returns
    -------
    list of dict
        in-toto ResourceDescriptors (``name``, ``digest.sha256``); the model is left out when
        the evaluation read a predictions column instead of a model.
    """
    subjects = []
    artifacts = record.get("artifacts") or {}
    for role in ("model", "data"):
        artifact = artifacts.get(role) or {}
        digest = hex_digest(artifact.get("digest"))
        if digest is not None:
            subjects.append(
                {
                    "name": shown_name(str(artifact.get("path") or role)),
                    "digest": {"sha256": digest},
                    "annotations": {"role": role},
                }
            )
    subjects.append(
        {
            "name": EVALUATION_SUBJECT,
            "digest": {"sha256": sha256_of(record_json)},
            "annotations": {"role": "evaluation"},
        }
    )
    return subjects


def report_subject(name: str, pdf: bytes) -> dict[str, Any]:
    """The subject naming the signed report PDF."""
    return {"name": name, "digest": {"sha256": sha256_of(pdf)}, "annotations": {"role": "report"}}


def build_predicate(
    record: Mapping[str, Any], checkpoint: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The predicate: what was evaluated, under which policies, and with which outcome.

    Parameters
    ----------
    record
        The evaluation record.
    checkpoint
        The latest audit checkpoint of the store the record came from, if any.

    Returns
    -------
    dict
        The predicate (JSON-serialisable).
    """
    model = record.get("model") or {}
    manifest = record.get("manifest") or {}
    return {
        "evaluation": {
            "id": record.get("evaluation_id"),
            "startedAt": record.get("started_at"),
            "finishedAt": record.get("finished_at"),
            "tool": record.get("tool"),
            "namespace": record.get("namespace"),
        },
        "model": {"name": model.get("name"), "version": model.get("version")},
        "manifest": {
            "path": _shown(manifest.get("path")),
            "digest": {"sha256": hex_digest(manifest.get("digest"))},
        },
        "policies": [
            {
                "name": policy.get("name"),
                "version": policy.get("version"),
                "path": _shown(policy.get("path")),
                "digest": {"sha256": hex_digest(policy.get("digest"))},
            }
            for policy in record.get("policies") or []
        ],
        "verdict": record.get("verdict"),
        "exitCode": record.get("exit_code"),
        "failOn": record.get("fail_on"),
        "summary": record.get("summary"),
        "findings": [
            {
                "ruleId": finding.get("rule_id"),
                "policy": finding.get("policy"),
                "severity": finding.get("severity"),
                "outcome": finding.get("outcome"),
                "blocking": finding.get("blocking"),
                "measured": finding.get("measured"),
            }
            for finding in record.get("findings") or []
        ],
        "auditCheckpoint": dict(checkpoint) if checkpoint else None,
    }


def build_statement(
    subjects: Sequence[Mapping[str, Any]], predicate: Mapping[str, Any]
) -> dict[str, Any]:
    """An in-toto Statement v1 with our predicate type."""
    return {
        "_type": STATEMENT_TYPE,
        "subject": [dict(subject) for subject in subjects],
        "predicateType": PREDICATE_TYPE,
        "predicate": dict(predicate),
    }


def _sign_bytes(material: SigningMaterial, data: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

    key = material.key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return key.sign(data)
    raise TypeError(f"cannot sign an attestation with a {type(key).__name__}")


def _verify_bytes(public_key: PublicKeyTypes, signature: bytes, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            public_key.verify(signature, data)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def verify_signature(public_key: PublicKeyTypes, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` over ``data`` verifies with ``public_key``, signed as we sign."""
    return _verify_bytes(public_key, signature, data)


def sign_statement(statement: Mapping[str, Any], material: SigningMaterial) -> dict[str, Any]:
    """Wrap a statement in a DSSE envelope signed over its PAE.

    Parameters
    ----------
    statement
        The in-toto statement.
    material
        The signer's key and certificate.

    Returns
    -------
    dict
        ``{"payloadType", "payload" (base64), "signatures": [{"keyid", "sig"}]}``.
    """
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode("utf-8")
    signature = _sign_bytes(material, pae(PAYLOAD_TYPE, payload))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [
            {"keyid": key_id(material.cert), "sig": base64.b64encode(signature).decode("ascii")}
        ],
    }


def envelope_bytes(envelope: Mapping[str, Any]) -> bytes:
    """The envelope as written to ``report.intoto.json`` (indented JSON, trailing newline)."""
    return (json.dumps(envelope, indent=2, sort_keys=True) + "\n").encode("utf-8")


@dataclass(frozen=True)
class OpenedEnvelope:
    """A parsed envelope: its statement and whether the expected key signed it.

    Parameters
    ----------
    statement
        The decoded in-toto statement.
    signed_by_key
        Whether one of its signatures verifies over the PAE with the given certificate's key.
    """

    statement: dict[str, Any]
    signed_by_key: bool


def open_envelope(data: bytes, cert: x509.Certificate | None) -> OpenedEnvelope:
    """Parse a DSSE envelope and check its signatures against ``cert``'s public key.

    Parameters
    ----------
    data
        The envelope's JSON.
    cert
        The certificate whose key should have signed it; ``None`` checks no signature.

    Returns
    -------
    OpenedEnvelope
        The statement and the signature check.

    Raises
    ------
    AttestationFormatError
        If the envelope, its payload type or its statement is malformed.
    """
    try:
        envelope = json.loads(data)
        payload_type = envelope["payloadType"]
        payload = base64.b64decode(envelope["payload"], validate=True)
        signatures = [
            (str(item.get("keyid", "")), base64.b64decode(item["sig"], validate=True))
            for item in envelope["signatures"]
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AttestationFormatError(BAD_ENVELOPE.format(error=exc)) from exc
    if payload_type != PAYLOAD_TYPE:
        raise AttestationFormatError(
            BAD_PAYLOAD_TYPE.format(found=payload_type, expected=PAYLOAD_TYPE)
        )
    try:
        statement = json.loads(payload)
        if statement.get("_type") != STATEMENT_TYPE:
            raise ValueError(f"_type is {statement.get('_type')!r}")
        if not isinstance(statement.get("subject"), list):
            raise ValueError("no subject list")
    except (ValueError, AttributeError) as exc:
        raise AttestationFormatError(BAD_STATEMENT.format(error=exc)) from exc
    signed = False
    if cert is not None:
        expected_id = key_id(cert)
        message = pae(payload_type, payload)
        signed = any(
            keyid in ("", expected_id) and _verify_bytes(cert.public_key(), sig, message)
            for keyid, sig in signatures
        )
    return OpenedEnvelope(statement=statement, signed_by_key=signed)


def subject_digests(statement: Mapping[str, Any]) -> dict[str, str]:
    """``{role or name: sha256 hex}`` of a statement's subjects."""
    found: dict[str, str] = {}
    for subject in statement.get("subject") or []:
        if not isinstance(subject, Mapping):
            continue
        annotations = subject.get("annotations") or {}
        role = annotations.get("role") if isinstance(annotations, Mapping) else None
        digest = (subject.get("digest") or {}).get("sha256")
        if isinstance(digest, str):
            found[str(role or subject.get("name"))] = digest
    return found


def _shown(path: Any) -> str | None:
    """A recorded path as the attestation names it: never absolute (older records hold some)."""
    return None if path is None else shown_name(str(path))
