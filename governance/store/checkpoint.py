"""Signed checkpoints of the audit log: proof of its size and head at a moment in time.

A checkpoint is a signed statement ``{type, version, store_id, size, head_hash, time}``:
the log had ``size`` entries, the last of them with hash ``head_hash``, at ``time``. The store id
is the hash of entry 1, so a checkpoint names the one history it belongs to. The statement is
signed as its canonical JSON (UTF-8) with the same key as reports (a PEM private key and its
X.509 certificate); the checkpoint carries the signature, the algorithm, the certificate and its
subject.

A chain alone cannot show that its newest entries were deleted, or that the whole history was
rewritten with every hash recomputed. A checkpoint kept elsewhere can: the later log must have at
least ``size`` entries, and entry ``size`` must still have hash ``head_hash``. A forger would
need the signing key to make a checkpoint that matches a rewritten log.

``cryptography`` is imported inside the functions.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.canonical import canonical_json
from governance.errors import InputError, SigningError
from governance.store.chain import HASH_PATTERN, TIME_PATTERN
from governance.store.records import CheckpointKey

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

    from governance.keys import SigningConfig

__all__ = [
    "CHECKPOINT_KIND",
    "CHECKPOINT_TYPE",
    "STATEMENT_FIELDS",
    "CheckpointCheck",
    "CheckpointError",
    "CheckpointKey",
    "certificate_of",
    "is_trusted",
    "key_of",
    "load_checkpoint",
    "sign_checkpoint",
    "signature_problem",
    "statement_of",
]

CHECKPOINT_KIND = "checkpoint"
CHECKPOINT_TYPE = "governance.audit.checkpoint"
CHECKPOINT_VERSION = 1
STATEMENT_FIELDS = ("type", "version", "store_id", "size", "head_hash", "time")

NOT_JSON = "not a checkpoint: {reason}"
BAD_FIELD = "not a checkpoint: field {field} {problem}"


class CheckpointError(InputError):
    """A checkpoint file is missing, unreadable or not a checkpoint (exit code 2)."""


@dataclass(frozen=True)
class CheckpointCheck:
    """The result of comparing one checkpoint with the log.

    Attributes
    ----------
    ok
        Whether the signature is valid and the log still holds the history it names.
    size, head_hash, time
        What the checkpoint states.
    signer
        The subject of the certificate that signed it.
    problem
        What is wrong, in one line, or ``None`` if ``ok``.
    fingerprint
        ``sha256:`` and the hex sha256 of the signing key (its SubjectPublicKeyInfo), or ``""``
        if the certificate cannot be read.
    """

    ok: bool
    size: int
    head_hash: str
    time: str
    signer: str
    problem: str | None
    fingerprint: str = ""


def statement_of(checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    """Return the signed part of a checkpoint.

    Parameters
    ----------
    checkpoint
        A checkpoint as :func:`sign_checkpoint` returns it.

    Returns
    -------
    dict
        ``type``, ``version``, ``store_id``, ``size``, ``head_hash`` and ``time``.
    """
    return {name: checkpoint.get(name) for name in STATEMENT_FIELDS}


def sign_checkpoint(
    *, store_id: str, size: int, head_hash: str, time: str, signing: SigningConfig
) -> dict[str, Any]:
    """Build and sign a checkpoint.

    Parameters
    ----------
    store_id
        The hash of entry 1 of the log.
    size
        How many entries the log has.
    head_hash
        The hash of entry ``size``.
    time
        When, as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.
    signing
        The key and certificate, or PKCS#12 file (``governance.reports.signing_from_settings``).

    Returns
    -------
    dict
        The statement fields plus ``signature_algorithm``, ``signature`` (base64),
        ``certificate`` (PEM), ``signer`` (the certificate's subject) and ``dev_key``.

    Raises
    ------
    SigningError
        If the key cannot be loaded or is of an unsupported type.
    """
    from cryptography.hazmat.primitives import serialization

    from governance.keys import certificate_is_dev, load_signing_material, subject_of

    statement = {
        "type": CHECKPOINT_TYPE,
        "version": CHECKPOINT_VERSION,
        "store_id": store_id,
        "size": size,
        "head_hash": head_hash,
        "time": time,
    }
    material = load_signing_material(signing)
    certificate = material.cert
    message = canonical_json(statement).encode("utf-8")
    algorithm, signature = _sign(material.key, message, signing.key)
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return {
        **statement,
        "signature_algorithm": algorithm,
        "signature": base64.b64encode(signature).decode("ascii"),
        "certificate": pem,
        "signer": subject_of(certificate),
        "dev_key": certificate_is_dev(certificate),
    }


def signature_problem(
    checkpoint: Mapping[str, Any], trust_roots: Sequence[x509.Certificate] = ()
) -> str | None:
    """Say what is wrong with a checkpoint's form or signature, or return ``None``.

    Parameters
    ----------
    checkpoint
        The checkpoint.
    trust_roots
        Certificates to trust; if any are given, the checkpoint's certificate must be one of
        them or be issued (signed) by one of them.

    Returns
    -------
    str or None
        The problem in one line.
    """
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    problem = _form_problem(checkpoint)
    if problem is not None:
        return problem
    try:
        certificate = x509.load_pem_x509_certificate(str(checkpoint["certificate"]).encode())
        signature = base64.b64decode(str(checkpoint["signature"]), validate=True)
    except ValueError as exc:
        return f"the checkpoint's certificate or signature cannot be read: {exc}"
    message = canonical_json(statement_of(checkpoint)).encode("utf-8")
    try:
        _verify(certificate, str(checkpoint["signature_algorithm"]), signature, message)
    except InvalidSignature:
        return "the checkpoint's signature does not match its contents"
    except ValueError as exc:
        return f"the checkpoint's signature cannot be checked: {exc}"
    from governance.keys import certificate_is_dev, subject_of

    # signer and dev_key are not signed: they must say what the signing certificate says
    if checkpoint.get("signer") != subject_of(certificate):
        return (
            f"the checkpoint names signer {checkpoint.get('signer')!r}, but its certificate is "
            f"{subject_of(certificate)!r}: the file was edited"
        )
    dev_key = certificate_is_dev(certificate)
    if checkpoint.get("dev_key") != dev_key:
        signed_by = "a development key" if dev_key else "a key that is not a development key"
        return (
            f"the checkpoint's dev_key says otherwise, but {signed_by} signed it: "
            "the file was edited"
        )
    if trust_roots and not is_trusted(certificate, trust_roots):
        return "the checkpoint was not signed by a trusted certificate"
    return None


def key_of(checkpoint: Mapping[str, Any], seq: int = 0) -> CheckpointKey | None:
    """Who signed a checkpoint: its certificate's subject and its key's fingerprint.

    Parameters
    ----------
    checkpoint
        The checkpoint.
    seq
        Its entry in the log (0 for a checkpoint file).

    Returns
    -------
    CheckpointKey or None
        ``None`` if the certificate cannot be read.
    """
    from governance.keys import key_fingerprint, subject_of

    certificate = certificate_of(checkpoint)
    if certificate is None:
        return None
    return CheckpointKey(seq, subject_of(certificate), key_fingerprint(certificate))


def is_trusted(certificate: x509.Certificate, trust_roots: Sequence[x509.Certificate]) -> bool:
    """Whether a certificate is one of ``trust_roots`` or was issued (signed) by one of them.

    Parameters
    ----------
    certificate
        A checkpoint's certificate (:func:`certificate_of`).
    trust_roots
        The trusted certificates.

    Returns
    -------
    bool
        Whether it is trusted (never, with no trust roots).
    """
    return any(_issued_by(certificate, root) for root in trust_roots)


def certificate_of(checkpoint: Mapping[str, Any]) -> x509.Certificate | None:
    """The certificate a checkpoint carries, or ``None`` if it cannot be read.

    Parameters
    ----------
    checkpoint
        The checkpoint.

    Returns
    -------
    cryptography.x509.Certificate or None
        Its ``certificate`` (PEM), loaded.
    """
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificate(str(checkpoint.get("certificate", "")).encode())
    except ValueError:
        return None


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint file written by ``governance audit checkpoint``.

    Parameters
    ----------
    path
        The JSON file.

    Returns
    -------
    dict
        The checkpoint (its form is checked, not its signature).

    Raises
    ------
    CheckpointError
        If the file is missing, not JSON, or not a checkpoint.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CheckpointError("checkpoint file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"cannot read the checkpoint: {exc}", path=path) from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(
            NOT_JSON.format(reason=exc.msg), path=path, line=exc.lineno, column=exc.colno
        ) from None
    if not isinstance(value, dict):
        raise CheckpointError(NOT_JSON.format(reason="expected a JSON object"), path=path)
    problem = _form_problem(value)
    if problem is not None:
        raise CheckpointError(problem, path=path)
    return value


def _form_problem(checkpoint: Mapping[str, Any]) -> str | None:
    checks: list[tuple[str, bool, str]] = [
        ("type", checkpoint.get("type") == CHECKPOINT_TYPE, f"must be {CHECKPOINT_TYPE!r}"),
        ("version", checkpoint.get("version") == CHECKPOINT_VERSION, "must be 1"),
        ("store_id", _is_hash(checkpoint.get("store_id")), "must be 64 hex digits"),
        ("size", _is_size(checkpoint.get("size")), "must be a positive integer"),
        ("head_hash", _is_hash(checkpoint.get("head_hash")), "must be 64 hex digits"),
        ("time", _is_time(checkpoint.get("time")), "must be a UTC time"),
    ]
    for name in ("signature_algorithm", "signature", "certificate"):
        value = checkpoint.get(name)
        checks.append((name, isinstance(value, str) and bool(value), "is missing"))
    for field, good, problem in checks:
        if not good:
            return BAD_FIELD.format(field=field, problem=problem)
    return None


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and HASH_PATTERN.fullmatch(value) is not None


def _is_size(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_time(value: Any) -> bool:
    return isinstance(value, str) and TIME_PATTERN.fullmatch(value) is not None


def _sign(key: PrivateKeyTypes, message: bytes, path: Path) -> tuple[str, bytes]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ecdsa-sha256", key.sign(message, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        return "rsa-pkcs1v15-sha256", key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519", key.sign(message)
    if isinstance(key, ed448.Ed448PrivateKey):
        return "ed448", key.sign(message)
    raise SigningError(
        f"cannot sign a checkpoint with a {type(key).__name__}: use an EC, RSA or EdDSA key",
        path=path,
    )


def _verify(
    certificate: x509.Certificate, algorithm: str, signature: bytes, message: bytes
) -> None:
    """Raise InvalidSignature (or ValueError for a mismatched algorithm) unless it verifies."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

    public_key = certificate.public_key()
    if algorithm == "ecdsa-sha256" and isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    elif algorithm == "rsa-pkcs1v15-sha256" and isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    elif (algorithm == "ed25519" and isinstance(public_key, ed25519.Ed25519PublicKey)) or (
        algorithm == "ed448" and isinstance(public_key, ed448.Ed448PublicKey)
    ):
        public_key.verify(signature, message)
    else:
        raise ValueError(f"algorithm {algorithm!r} does not fit the certificate's key")


def _issued_by(certificate: x509.Certificate, root: x509.Certificate) -> bool:
    from cryptography.exceptions import InvalidSignature

    if certificate == root:
        return True
    try:
        certificate.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
