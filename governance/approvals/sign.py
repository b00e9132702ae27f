"""Signing an approval statement and checking a signature: Ed25519, Ed448, ECDSA or RSA keys."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from governance.canonical import canonical_json
from governance.errors import SigningError
from governance.keys.certificates import load_private_key, read_file

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import (
        PrivateKeyTypes,
        PublicKeyTypes,
    )

__all__ = ["key_id_of", "load_public_key_id", "sign", "signature_ok"]

CANNOT_SIGN = "cannot sign an approval with a {kind}: use an Ed25519, Ed448, EC or RSA key"
NOT_A_PUBLIC_KEY = "not a PEM or DER public key or certificate"


def _spki(public_key: PublicKeyTypes) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id_of(public_key: PublicKeyTypes) -> str:
    """``sha256:`` and the hex sha256 of a public key's SubjectPublicKeyInfo (DER)."""
    return "sha256:" + hashlib.sha256(_spki(public_key)).hexdigest()


def load_public_key_id(path: Path) -> str:
    """The key id of a public key or certificate file (PEM or DER).

    Raises
    ------
    SigningError
        If the file is missing or holds neither a public key nor a certificate.
    """
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    data = read_file(path, "public key")
    loaders = (
        (x509.load_pem_x509_certificate, x509.load_der_x509_certificate)
        if b"CERTIFICATE" in data or not data.startswith(b"-----")
        else ()
    )
    for load_cert in loaders:
        try:
            return key_id_of(load_cert(data).public_key())
        except ValueError:
            continue
    for load_key in (serialization.load_pem_public_key, serialization.load_der_public_key):
        try:
            return key_id_of(load_key(data))
        except (ValueError, UnsupportedAlgorithm):
            continue
    raise SigningError(NOT_A_PUBLIC_KEY, path=path)


def message_of(statement: Mapping[str, Any]) -> bytes:
    """What is signed: the statement's canonical JSON, UTF-8."""
    return canonical_json(dict(statement)).encode("utf-8")


def sign(
    key_path: Path, statement: Mapping[str, Any], passphrase: bytes | None = None
) -> tuple[str, str, str, str]:
    """Sign ``statement`` with the private key in ``key_path``.

    Returns
    -------
    tuple of str
        The algorithm, the base64 signature, the public key (PEM) and its key id.

    Raises
    ------
    SigningError
        If the key cannot be read or is of a type that cannot sign.
    """
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

    key: PrivateKeyTypes = load_private_key(key_path, passphrase)
    message = message_of(statement)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        algorithm, signature = "ed25519", key.sign(message)
    elif isinstance(key, ed448.Ed448PrivateKey):
        algorithm, signature = "ed448", key.sign(message)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm, signature = "ecdsa-sha256", key.sign(message, ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, rsa.RSAPrivateKey):
        algorithm = "rsa-pkcs1v15-sha256"
        signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise SigningError(CANNOT_SIGN.format(kind=type(key).__name__), path=key_path)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return (
        algorithm,
        base64.b64encode(signature).decode("ascii"),
        public_pem.decode("ascii"),
        key_id_of(key.public_key()),
    )


def private_key_id(key_path: Path, passphrase: bytes | None = None) -> str:
    """The key id of the public half of the private key in ``key_path``."""
    return key_id_of(load_private_key(key_path, passphrase).public_key())


def signature_ok(
    statement: Mapping[str, Any], *, algorithm: Any, signature: Any, public_key: Any, key_id: Any
) -> bool:
    """Whether ``signature`` over ``statement`` verifies with ``public_key`` (id ``key_id``).

    Anything malformed (not text, not base64, not a key, a mismatched algorithm) is ``False``.
    """
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

    if not all(isinstance(v, str) for v in (algorithm, signature, public_key, key_id)):
        return False
    try:
        key = serialization.load_pem_public_key(public_key.encode("ascii"))
        raw = base64.b64decode(signature, validate=True)
        if key_id_of(key) != key_id:
            return False
        message = message_of(statement)
        eddsa = (algorithm == "ed25519" and isinstance(key, ed25519.Ed25519PublicKey)) or (
            algorithm == "ed448" and isinstance(key, ed448.Ed448PublicKey)
        )
        if eddsa:
            key.verify(raw, message)  # type: ignore[union-attr, call-arg]
        elif algorithm == "ecdsa-sha256" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(raw, message, ec.ECDSA(hashes.SHA256()))
        elif algorithm == "rsa-pkcs1v15-sha256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError, UnicodeError):
        return False
    return True
