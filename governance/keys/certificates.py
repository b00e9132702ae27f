"""Certificates and private keys: load, check, name and fingerprint them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from governance.errors import SigningError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

__all__ = [
    "check_certificate",
    "key_fingerprint",
    "load_certificate",
    "load_private_key",
    "same_public_key",
    "subject_of",
]

MISSING_FILE = "{what} not found"
NOT_A_KEY = "not a PEM or DER private key, or the passphrase is wrong: {error}"
KEY_ENCRYPTED = "the private key is encrypted: a passphrase is needed"
NOT_A_CERT = "not a PEM or DER X.509 certificate: {error}"
CERT_NOT_YET_VALID = "the certificate is not valid before {when}"
CERT_EXPIRED = "the certificate expired on {when}"
CERT_NO_SIGNING_USAGE = (
    "the certificate's key usage allows neither digitalSignature nor nonRepudiation"
)


def read_file(path: Path, what: str) -> bytes:
    """Read a key or certificate file; a missing one is a SigningError naming ``what``."""
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise SigningError(MISSING_FILE.format(what=what), path=path) from exc
    except OSError as exc:
        raise SigningError(f"cannot read {what}: {exc.strerror}", path=path) from exc


def load_certificate(path: Path) -> x509.Certificate:
    """Load one X.509 certificate, PEM or DER.

    Parameters
    ----------
    path
        The certificate file.

    Returns
    -------
    cryptography.x509.Certificate
        The certificate.

    Raises
    ------
    SigningError
        If the file is missing or is not a certificate.
    """
    from cryptography import x509

    data = read_file(path, "certificate")
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise SigningError(NOT_A_CERT.format(error=exc), path=path) from exc


def load_private_key(path: Path, passphrase: bytes | None = None) -> PrivateKeyTypes:
    """Load a private key, PEM or DER, optionally encrypted.

    Parameters
    ----------
    path
        The key file.
    passphrase
        The passphrase, if the key is encrypted.

    Returns
    -------
    PrivateKeyTypes
        The key.

    Raises
    ------
    SigningError
        If the file is missing, is not a key, or the passphrase is missing or wrong.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    data = read_file(path, "private key")
    try:
        if b"-----BEGIN" in data:
            return serialization.load_pem_private_key(data, password=passphrase)
        return serialization.load_der_private_key(data, password=passphrase)
    except TypeError as exc:
        if passphrase is None:
            raise SigningError(KEY_ENCRYPTED, path=path) from exc
        raise SigningError(NOT_A_KEY.format(error=exc), path=path) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SigningError(NOT_A_KEY.format(error=exc), path=path) from exc


def same_public_key(private_key: PrivateKeyTypes, cert: x509.Certificate) -> bool:
    """Tell whether ``private_key`` is the key of ``cert`` (their public keys are equal)."""
    from cryptography.hazmat.primitives import serialization

    encoding = serialization.Encoding.DER
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    mine = private_key.public_key().public_bytes(encoding, spki)
    theirs = cert.public_key().public_bytes(encoding, spki)
    return mine == theirs


def check_certificate(cert: x509.Certificate, path: Path) -> None:
    """Check that ``cert`` is usable for signing now.

    Parameters
    ----------
    cert
        The signer's certificate.
    path
        Its file, for error messages.

    Raises
    ------
    SigningError
        If the certificate is not yet valid, expired, or its key usage forbids signing.
    """
    from cryptography import x509

    now = dt.datetime.now(dt.UTC)
    if now < cert.not_valid_before_utc:
        when = cert.not_valid_before_utc.isoformat()
        raise SigningError(CERT_NOT_YET_VALID.format(when=when), path=path)
    if now > cert.not_valid_after_utc:
        raise SigningError(
            CERT_EXPIRED.format(when=cert.not_valid_after_utc.isoformat()), path=path
        )
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not (usage.digital_signature or usage.content_commitment):
        raise SigningError(CERT_NO_SIGNING_USAGE, path=path)


def subject_of(cert: x509.Certificate) -> str:
    """Return a certificate's subject as an RFC 4514 string (``CN=...,O=...``).

    Parameters
    ----------
    cert
        The certificate.

    Returns
    -------
    str
        The subject.
    """
    return cert.subject.rfc4514_string()


def key_fingerprint(cert: x509.Certificate) -> str:
    """Return the fingerprint of a certificate's public key: ``sha256:<64 hex digits>``.

    Two certificates with the same subject but different keys have different fingerprints;
    a certificate re-issued for the same key has the same one.

    Parameters
    ----------
    cert
        The certificate.

    Returns
    -------
    str
        ``sha256:`` and the lowercase hex sha256 of its SubjectPublicKeyInfo (DER).
    """
    import hashlib

    from cryptography.hazmat.primitives import serialization

    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(spki).hexdigest()
