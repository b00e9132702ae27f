"""Development signing keys: make one, and recognise its certificates.

A development key is an EC P-256 key with a self-signed certificate whose subject says what it
is (``O=governance development, OU=DEVELOPMENT KEY - NOT FOR PRODUCTION``), so a report signed
with it is recognisable as such on its cover and by :func:`verify_report`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from governance.errors import SigningError

if TYPE_CHECKING:
    from cryptography import x509

from governance.files import write_new
from governance.keys.certificates import load_certificate
from governance.keys.material import SigningConfig

__all__ = ["certificate_is_dev", "init_dev_keys", "is_dev_certificate"]

DEV_ORGANIZATION = "governance development"
DEV_ORGANIZATIONAL_UNIT = "DEVELOPMENT KEY - NOT FOR PRODUCTION"
DEV_COMMON_NAME = "governance development key"
DEV_KEY_FILE = "governance-dev-key.pem"
DEV_CERT_FILE = "governance-dev-cert.pem"
DEV_VALIDITY_DAYS = 365

WOULD_OVERWRITE = "refusing to overwrite an existing file"
OVERWRITE_HINT = "pass --force to replace the development key"


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
            write_new(path, data, mode)
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
