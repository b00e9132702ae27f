"""Signing key material: load and check a user's key, or make a development key.

A development key is an EC P-256 key with a self-signed certificate whose subject says what it
is (``O=governance development, OU=DEVELOPMENT KEY - NOT FOR PRODUCTION``), so a report signed
with it is recognisable as such on its cover and by :func:`verify_report`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from governance.errors import SigningError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

DEV_ORGANIZATION = "governance development"
DEV_ORGANIZATIONAL_UNIT = "DEVELOPMENT KEY - NOT FOR PRODUCTION"
DEV_COMMON_NAME = "governance development key"
DEV_KEY_FILE = "governance-dev-key.pem"
DEV_CERT_FILE = "governance-dev-cert.pem"
DEV_VALIDITY_DAYS = 365

MISSING_FILE = "{what} not found"
NOT_A_KEY = "not a PEM or DER private key, or the passphrase is wrong: {error}"
KEY_ENCRYPTED = "the private key is encrypted: a passphrase is needed"
NOT_A_CERT = "not a PEM or DER X.509 certificate: {error}"
KEY_CERT_MISMATCH = "the private key does not belong to the certificate {cert}"
CERT_NOT_YET_VALID = "the certificate is not valid before {when}"
CERT_EXPIRED = "the certificate expired on {when}"
CERT_NO_SIGNING_USAGE = (
    "the certificate's key usage allows neither digitalSignature nor nonRepudiation"
)
PKCS12_UNREADABLE = "cannot open the PKCS#12 file: wrong passphrase, or not a PKCS#12 file"
PKCS12_NO_KEY = "the PKCS#12 file holds no private key"
PKCS12_NO_CERT = "the PKCS#12 file holds no certificate for its key"
WOULD_OVERWRITE = "refusing to overwrite an existing file"
OVERWRITE_HINT = "pass --force to replace the development key"


@dataclass(frozen=True)
class SigningConfig:
    """Where the signing key material is.

    Parameters
    ----------
    key
        The signer's private key (PEM or DER), or the PKCS#12 file when ``pkcs12``.
    cert
        The signer's X.509 certificate (PEM or DER), or the PKCS#12 file when ``pkcs12``.
    chain
        Intermediate certificates to embed in the signature (besides those of a PKCS#12 file).
    passphrase
        The passphrase of an encrypted private key or PKCS#12 file; never shown in ``repr``.
    pkcs12
        Whether ``key`` (and ``cert``) is one PKCS#12 (``.p12``/``.pfx``) file holding the key,
        its certificate and usually the chain.
    tsa_url
        An RFC 3161 timestamp authority to timestamp the signature with (PAdES B-T); no
        timestamp when ``None``.
    """

    key: Path
    cert: Path
    chain: tuple[Path, ...] = ()
    passphrase: bytes | None = field(default=None, repr=False)
    pkcs12: bool = False
    tsa_url: str | None = None


@dataclass(frozen=True)
class SigningMaterial:
    """Loaded key material: the private key, its certificate and the chain to embed.

    Parameters
    ----------
    key
        The private key.
    cert
        The signer's certificate.
    chain
        Further certificates (intermediates, possibly the root) to embed.
    """

    key: PrivateKeyTypes = field(repr=False)
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()


def _read(path: Path, what: str) -> bytes:
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

    data = _read(path, "certificate")
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

    data = _read(path, "private key")
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


def _same_public_key(private_key: PrivateKeyTypes, cert: x509.Certificate) -> bool:
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


def load_signing_config(
    key: Path,
    cert: Path,
    *,
    chain: Sequence[Path] = (),
    passphrase: bytes | None = None,
    tsa_url: str | None = None,
) -> SigningConfig:
    """Check signing key material and return it as a :class:`SigningConfig`.

    Parameters
    ----------
    key
        The signer's private key (PEM or DER, optionally encrypted).
    cert
        The signer's certificate.
    chain
        Intermediate certificates to embed in the signature.
    passphrase
        The key's passphrase, if it is encrypted.
    tsa_url
        An RFC 3161 timestamp authority for PAdES B-T signatures.

    Returns
    -------
    SigningConfig
        The checked configuration.

    Raises
    ------
    SigningError
        Naming the file that is missing, unreadable or unusable: a key that does not parse or
        does not match the certificate, a certificate that is expired or not for signing.
    """
    config = SigningConfig(
        key=key, cert=cert, chain=tuple(chain), passphrase=passphrase, tsa_url=tsa_url
    )
    load_signing_material(config)
    return config


def load_pkcs12_config(
    bundle: Path,
    *,
    passphrase: bytes | None = None,
    chain: Sequence[Path] = (),
    tsa_url: str | None = None,
) -> SigningConfig:
    """Check a PKCS#12 file (key, certificate and chain) and return it as a configuration.

    Parameters
    ----------
    bundle
        The ``.p12`` / ``.pfx`` file.
    passphrase
        Its passphrase.
    chain
        Further intermediate certificates to embed, if the file lacks them.
    tsa_url
        An RFC 3161 timestamp authority for PAdES B-T signatures.

    Returns
    -------
    SigningConfig
        The checked configuration.

    Raises
    ------
    SigningError
        If the file is missing, the passphrase is wrong, the file holds no key or certificate,
        or the certificate is expired or not for signing.
    """
    config = SigningConfig(
        key=bundle,
        cert=bundle,
        chain=tuple(chain),
        passphrase=passphrase,
        pkcs12=True,
        tsa_url=tsa_url,
    )
    load_signing_material(config)
    return config


def _load_pkcs12(path: Path, passphrase: bytes | None) -> SigningMaterial:
    from cryptography.hazmat.primitives.serialization import pkcs12

    data = _read(path, "PKCS#12 file")
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase)
    except (ValueError, TypeError) as exc:
        raise SigningError(PKCS12_UNREADABLE, path=path) from exc
    if key is None:
        raise SigningError(PKCS12_NO_KEY, path=path)
    if cert is None:
        raise SigningError(PKCS12_NO_CERT, path=path)
    return SigningMaterial(key=key, cert=cert, chain=tuple(extra))


def load_signing_material(config: SigningConfig) -> SigningMaterial:
    """Load and check the key material a configuration names.

    Parameters
    ----------
    config
        Where the key material is.

    Returns
    -------
    SigningMaterial
        The private key, the signer's certificate and the chain to embed.

    Raises
    ------
    SigningError
        Naming the file that is missing, unreadable or unusable: a key that does not parse or
        does not match the certificate, a wrong passphrase, a certificate that is expired or
        not for signing.
    """
    if config.pkcs12:
        material = _load_pkcs12(config.key, config.passphrase)
    else:
        private_key = load_private_key(config.key, config.passphrase)
        material = SigningMaterial(key=private_key, cert=load_certificate(config.cert))
    if not _same_public_key(material.key, material.cert):
        raise SigningError(KEY_CERT_MISMATCH.format(cert=config.cert), path=config.key)
    check_certificate(material.cert, config.cert)
    chain = material.chain + tuple(load_certificate(extra) for extra in config.chain)
    return SigningMaterial(key=material.key, cert=material.cert, chain=chain)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
    finally:
        os.close(fd)


def init_dev_keys(
    directory: Path,
    *,
    common_name: str = DEV_COMMON_NAME,
    force: bool = False,
    days: int = DEV_VALIDITY_DAYS,
) -> SigningConfig:
    """Create a development signing key and its self-signed certificate.

    The key is EC P-256, written as unencrypted PKCS#8 PEM with permissions 0600; the
    certificate allows digitalSignature and nonRepudiation and carries
    ``O=governance development, OU=DEVELOPMENT KEY - NOT FOR PRODUCTION`` in its subject.

    Parameters
    ----------
    directory
        Where to write ``governance-dev-key.pem`` and ``governance-dev-cert.pem``; created if
        missing (0700).
    common_name
        The certificate's CN.
    force
        Replace existing files instead of refusing.
    days
        How long the certificate is valid.

    Returns
    -------
    SigningConfig
        The new key and certificate.

    Raises
    ------
    SigningError
        If a file exists and ``force`` is false, or the directory cannot be written.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key_path = directory / DEV_KEY_FILE
    cert_path = directory / DEV_CERT_FILE
    for path in (key_path, cert_path):
        if path.exists() and not force:
            raise SigningError(WOULD_OVERWRITE, path=path, hint=OVERWRITE_HINT)

    private_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_ORGANIZATION),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEV_ORGANIZATIONAL_UNIT),
        ]
    )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    public_key = private_key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(private_key, hashes.SHA256())
    )
    key_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)

    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for path, data, mode in ((key_path, key_pem, 0o600), (cert_path, cert_pem, 0o644)):
            if force:
                path.unlink(missing_ok=True)
            _write_new(path, data, mode)
    except FileExistsError as exc:
        raise SigningError(WOULD_OVERWRITE, path=exc.filename, hint=OVERWRITE_HINT) from exc
    except OSError as exc:
        raise SigningError(
            f"cannot write the development key: {exc.strerror}", path=exc.filename or directory
        ) from exc
    return SigningConfig(key=key_path, cert=cert_path)


def certificate_is_dev(cert: x509.Certificate) -> bool:
    """Tell whether a loaded certificate is a governance development certificate.

    Parameters
    ----------
    cert
        The certificate.

    Returns
    -------
    bool
        True if its subject carries the development marker
        ``OU=DEVELOPMENT KEY - NOT FOR PRODUCTION``.
    """
    from cryptography.x509.oid import NameOID

    units = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    return any(unit.value == DEV_ORGANIZATIONAL_UNIT for unit in units)


def is_dev_certificate(cert_path: Path) -> bool:
    """Tell whether a certificate file is a governance development certificate.

    Parameters
    ----------
    cert_path
        The certificate file (PEM or DER).

    Returns
    -------
    bool
        True if its subject carries ``OU=DEVELOPMENT KEY - NOT FOR PRODUCTION``.

    Raises
    ------
    SigningError
        If the file is missing or not a certificate.
    """
    return certificate_is_dev(load_certificate(cert_path))


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
