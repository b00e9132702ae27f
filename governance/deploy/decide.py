"""``verify-model``: may this model artifact be deployed? Allow or deny, from a signed VSA.

The decision rests only on what is verified here: the artifact's sha256 is computed from its
bytes, the VSA's signature is checked against the caller's trust roots before anything in it
is believed, and the signed statement must name that digest, the governance verifier, a
``PASSED`` result and every policy asked for. A VSA is a file anyone can hand over: it is read
with a size limit and parsed as data only.

Deny (``allowed=False``, exit 1) means "a VSA was read and does not allow this"; an artifact or
VSA that cannot be read, or a file that is not a DSSE envelope or Sigstore bundle of a VSA,
is bad input (:class:`~governance.errors.InputError`, exit 2). Both stop a deploy.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.deploy.bundle import BUNDLE_MEDIA_TYPE, default_paths
from governance.deploy.trust import chain_problem, load_trust_roots, may_sign, valid_now
from governance.deploy.vsa import (
    EXTENSION,
    PASSED,
    VERIFIER_ID,
    VSA_PREDICATE_TYPE,
    ImageDigest,
    policy_descriptor,
)
from governance.errors import InputError
from governance.reporting.attest import (
    PAYLOAD_TYPE,
    STATEMENT_TYPE,
    key_id,
    pae,
    verify_signature,
)

if TYPE_CHECKING:
    from cryptography import x509

MAX_VSA_BYTES = 4 * 1024 * 1024
CLOCK_SKEW = dt.timedelta(minutes=5)

MISSING_ARTIFACT = "model artifact not found"
NO_ATTESTATION = "no VSA beside the artifact ({names})"
NO_ATTESTATION_HINT = "pass --attestation FILE"
UNREADABLE = "cannot read the {what}: {reason}"
TOO_LARGE = "the VSA is larger than {limit} MiB"
NOT_JSON = "not a VSA: the file is not JSON ({error})"
NOT_ENVELOPE = "not a VSA: neither a DSSE envelope nor a Sigstore bundle ({error})"
BAD_MEDIA_TYPE = "not a VSA: the bundle's mediaType is {found!r}, not {expected!r}"
BAD_PAYLOAD_TYPE = "not a VSA: the payloadType is {found!r}, not {expected!r}"
NOT_STATEMENT = "not a VSA: the payload is not an in-toto Statement v1 of a VSA ({error})"
BAD_TRUST_ROOT = "trust root is not a usable certificate: {error}"
BAD_MAX_AGE = "must be a duration such as 3600s, 90m, 12h or 30d, found {value!r}"

DENY_NO_TRUST_ROOT = "no trust root given: pass --trust-root CERT"
DENY_UNTRUSTED = "the VSA's signer is not trusted by the given trust roots ({why})"
DENY_BAD_SIGNATURE = "the VSA's signature does not verify: it was modified or not signed by {who}"
DENY_SIGNATURES = "a VSA bundle must hold exactly one signature, found {count}"
DENY_VERIFIER = "the VSA is from verifier {found!r}, not {expected!r}"
DENY_DIGEST = "the VSA is for another artifact: sha256 {found} is not among its subjects"
DENY_IMAGE = "the VSA does not name the image sha256:{digest}"
DENY_RESULT = "the VSA's verificationResult is {result!r}: the gate did not pass"
DENY_POLICY_SET = "the VSA's policy set does not include {missing} (it has: {found})"
DENY_POLICY_DIGEST = "the VSA's policy digest does not match the policies it lists"
DENY_TIME = "the VSA's timeVerified {value!r} is not a valid timestamp"
DENY_FUTURE = "the VSA's timeVerified {value} is in the future"
DENY_EXPIRED = "the VSA is older than --max-age: verified at {value}"
_DURATION = re.compile(r"(\d+)([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class ModelDecision:
    """What :func:`verify_model` decided.

    Parameters
    ----------
    allowed
        True only if every check passed.
    reason
        Why not (one sentence); empty when allowed.
    artifact_sha256
        The artifact's sha256 (hex), computed from its bytes.
    attestation
        The VSA file read.
    evaluation_id
        The evaluation the VSA summarises, once its signature verified.
    time_verified
        When the gate ran, once the signature verified.
    """

    allowed: bool
    reason: str
    artifact_sha256: str
    attestation: Path
    evaluation_id: str | None = None
    time_verified: str | None = None


@dataclass(frozen=True)
class _Signed:
    payload_type: str
    payload: bytes
    signatures: list[tuple[str, bytes]]
    certificates: list[x509.Certificate]
    is_bundle: bool


def parse_max_age(value: str) -> dt.timedelta:
    """``3600``, ``3600s``, ``90m``, ``12h`` or ``30d`` as a timedelta.

    Raises
    ------
    InputError
        For anything else, naming ``max_age``.
    """
    match = _DURATION.fullmatch(value.strip())
    if match is None or int(match.group(1)) == 0:
        raise InputError(BAD_MAX_AGE.format(value=value), field="max_age")
    return dt.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes; a missing or unreadable file is an InputError."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except FileNotFoundError as exc:
        raise InputError(MISSING_ARTIFACT, path=path) from exc
    except OSError as exc:
        what = "model artifact"
        raise InputError(UNREADABLE.format(what=what, reason=exc.strerror), path=path) from exc
    return digest.hexdigest()


def find_attestation(artifact: Path) -> Path:
    """The VSA beside ``artifact``: its Sigstore bundle, else its DSSE envelope."""
    envelope, bundle = default_paths(artifact)
    for candidate in (bundle, envelope):
        if candidate.is_file():
            return candidate
    names = f"{bundle.name} or {envelope.name}"
    raise InputError(NO_ATTESTATION.format(names=names), path=artifact, hint=NO_ATTESTATION_HINT)


def _read_vsa(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_VSA_BYTES + 1)
    except OSError as exc:
        raise InputError(UNREADABLE.format(what="VSA", reason=exc.strerror), path=path) from exc
    if len(data) > MAX_VSA_BYTES:
        raise InputError(TOO_LARGE.format(limit=MAX_VSA_BYTES >> 20), path=path)
    return data


def _b64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise TypeError("not a base64 string")
    return base64.b64decode(value, validate=True)


def _parse(data: bytes, path: Path) -> _Signed:
    from cryptography import x509

    try:
        document = json.loads(data)
    except ValueError as exc:
        raise InputError(NOT_JSON.format(error=exc), path=path) from exc
    try:
        is_bundle = "mediaType" in document
        certificates = []
        if is_bundle:
            if document["mediaType"] != BUNDLE_MEDIA_TYPE:
                found = document["mediaType"]
                raise InputError(
                    BAD_MEDIA_TYPE.format(found=found, expected=BUNDLE_MEDIA_TYPE), path=path
                )
            material = document["verificationMaterial"]
            if "certificate" in material:
                raws = [material["certificate"]["rawBytes"]]
            else:
                raws = [
                    item["rawBytes"] for item in material["x509CertificateChain"]["certificates"]
                ]
            certificates = [x509.load_der_x509_certificate(_b64(raw)) for raw in raws]
            envelope = document["dsseEnvelope"]
        else:
            envelope = document
        signatures = [
            (str(item.get("keyid", "")), _b64(item["sig"])) for item in envelope["signatures"]
        ]
        signed = _Signed(
            payload_type=envelope["payloadType"],
            payload=_b64(envelope["payload"]),
            signatures=signatures,
            certificates=certificates,
            is_bundle=is_bundle,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(NOT_ENVELOPE.format(error=exc), path=path) from exc
    if signed.payload_type != PAYLOAD_TYPE:
        raise InputError(
            BAD_PAYLOAD_TYPE.format(found=signed.payload_type, expected=PAYLOAD_TYPE), path=path
        )
    return signed


def _signature_problem(signed: _Signed, roots: Sequence[x509.Certificate]) -> str | None:
    """Why the signature is not trusted; None when a trusted key signed the PAE."""
    now = dt.datetime.now(dt.UTC)
    message = pae(signed.payload_type, signed.payload)
    if signed.is_bundle:
        if len(signed.signatures) != 1:
            return DENY_SIGNATURES.format(count=len(signed.signatures))
        if not signed.certificates:
            return DENY_UNTRUSTED.format(why="the bundle has no certificate")
        problem = chain_problem(signed.certificates, roots, now)
        if problem is None and not may_sign(signed.certificates[0]):
            problem = "its certificate's key usage does not allow signing"
        if problem is not None:
            return DENY_UNTRUSTED.format(why=problem)
        signers = [signed.certificates[0]]
    else:  # a bare envelope carries no certificate: a trust root's own key must have signed
        signers = [root for root in roots if valid_now(root, now)]
    for cert in signers:
        expected = key_id(cert)
        for keyid, signature in signed.signatures:
            if keyid in ("", expected) and verify_signature(cert.public_key(), signature, message):
                return None
    who = "the bundle's certificate" if signed.is_bundle else "a trust root's key"
    return DENY_BAD_SIGNATURE.format(who=who)


def _statement(payload: bytes, path: Path) -> dict[str, Any]:
    try:
        statement: dict[str, Any] = json.loads(payload)
        if statement.get("_type") != STATEMENT_TYPE:
            raise ValueError(f"_type is {statement.get('_type')!r}")
        if statement.get("predicateType") != VSA_PREDICATE_TYPE:
            raise ValueError(f"predicateType is {statement.get('predicateType')!r}")
        if not isinstance(statement.get("subject"), list):
            raise ValueError("no subject list")
        if not isinstance(statement.get("predicate"), dict):
            raise ValueError("no predicate")
    except (ValueError, AttributeError) as exc:
        raise InputError(NOT_STATEMENT.format(error=exc), path=path) from exc
    return statement


def _subject_digests(statement: Mapping[str, Any]) -> set[str]:
    digests = set()
    for subject in statement["subject"]:
        digest = subject.get("digest") if isinstance(subject, Mapping) else None
        value = digest.get("sha256") if isinstance(digest, Mapping) else None
        if isinstance(value, str):
            digests.add(value.lower())
    return digests


def _claim_problem(
    statement: Mapping[str, Any], digest: str, image: ImageDigest | None
) -> str | None:
    """Why the statement's verifier, subjects or result do not allow the artifact."""
    predicate = statement["predicate"]
    verifier = predicate.get("verifier")
    verifier_id = verifier.get("id") if isinstance(verifier, Mapping) else None
    if verifier_id != VERIFIER_ID:
        return DENY_VERIFIER.format(found=verifier_id, expected=VERIFIER_ID)
    subjects = _subject_digests(statement)
    if digest not in subjects:
        return DENY_DIGEST.format(found=digest)
    if image is not None and image.sha256 not in subjects:
        return DENY_IMAGE.format(digest=image.sha256)
    result = predicate.get("verificationResult")
    if result != PASSED:
        return DENY_RESULT.format(result=result)
    return None


def _policy_problem(predicate: Mapping[str, Any], wanted: Sequence[str]) -> str | None:
    extension = predicate.get(EXTENSION)
    policies = extension.get("policies") if isinstance(extension, Mapping) else None
    if not isinstance(policies, list) or not all(
        isinstance(p, Mapping) and isinstance(p.get("refs"), list) for p in policies
    ):
        policies = []
    try:
        expected = policy_descriptor(policies)
    except (KeyError, TypeError, ValueError):
        return DENY_POLICY_DIGEST
    given = predicate.get("policy")
    if not isinstance(given, Mapping) or given.get("digest") != expected["digest"]:
        return DENY_POLICY_DIGEST
    refs = {str(ref) for policy in policies for ref in policy["refs"]}
    missing = [name for name in wanted if name not in refs]
    if missing:
        found = ", ".join(sorted(refs)) or "none"
        return DENY_POLICY_SET.format(missing=", ".join(missing), found=found)
    return None


def _time_problem(value: Any, max_age: dt.timedelta | None) -> str | None:
    try:
        when = dt.datetime.fromisoformat(str(value))
        if when.tzinfo is None:
            raise ValueError("no time zone")
    except ValueError:
        return DENY_TIME.format(value=value)
    now = dt.datetime.now(dt.UTC)
    if when > now + CLOCK_SKEW:
        return DENY_FUTURE.format(value=value)
    if max_age is not None and now - when > max_age:
        return DENY_EXPIRED.format(value=value)
    return None


def verify_model(
    artifact: Path,
    policy_set: Sequence[str],
    *,
    attestation: Path | None = None,
    trust_roots: Sequence[Path] = (),
    image: ImageDigest | None = None,
    max_age: dt.timedelta | None = None,
) -> ModelDecision:
    """Decide from a signed VSA whether ``artifact`` may be deployed under ``policy_set``.

    Parameters
    ----------
    artifact
        The model file to deploy; its sha256 is computed here.
    policy_set
        Policies the passing evaluation must have applied: names (``metadata.name``) or
        ``pack:NAME`` for a shipped pack; at least one.
    attestation
        The VSA (Sigstore bundle or DSSE envelope); default ``ARTIFACT.vsa.sigstore.json``,
        else ``ARTIFACT.vsa.json``.
    trust_roots
        Certificates to trust: a bundle's certificate must chain to one (or be one); a bare
        envelope must be signed by one's key. None given: nothing is trusted (deny).
    image
        A container image digest the VSA must also name.
    max_age
        Deny a VSA whose ``timeVerified`` is older than this.

    Returns
    -------
    ModelDecision
        Allowed, or denied with the first reason found.

    Raises
    ------
    InputError
        A missing or unreadable artifact, VSA or trust root; a file that is not a VSA; an
        empty ``policy_set``.
    """
    if not policy_set:
        raise InputError("name at least one policy", field="policy_set")
    artifact = Path(artifact)
    digest = file_sha256(artifact)
    path = Path(attestation) if attestation is not None else find_attestation(artifact)
    signed = _parse(_read_vsa(path), path)
    roots = load_trust_roots(trust_roots)

    def deny(reason: str, **known: Any) -> ModelDecision:
        return ModelDecision(False, reason, digest, path, **known)

    if not roots:
        return deny(DENY_NO_TRUST_ROOT)
    problem = _signature_problem(signed, roots)
    if problem is not None:
        return deny(problem)
    statement = _statement(signed.payload, path)
    predicate = statement["predicate"]
    extension = predicate.get(EXTENSION)
    evaluation_id = extension.get("evaluationId") if isinstance(extension, Mapping) else None
    known = {"evaluation_id": evaluation_id, "time_verified": predicate.get("timeVerified")}
    problem = _claim_problem(statement, digest, image)
    if problem is not None:
        return deny(problem, **known)
    problem = _policy_problem(predicate, policy_set) or _time_problem(
        predicate.get("timeVerified"), max_age
    )
    if problem is not None:
        return deny(problem, **known)
    return ModelDecision(True, "", digest, path, **known)
