"""Signing key material: where it is (:class:`SigningConfig`) and loading it, checked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from governance.errors import SigningError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from governance.keys.certificates import (
    check_certificate,
    load_certificate,
    load_private_key,
    read_file,
    same_public_key,
)

__all__ = [
    "SigningConfig",
    "SigningMaterial",
    "load_pkcs12_config",
    "load_signing_config",
    "load_signing_material",
]

PKCS12_NO_KEY = "the PKCS#12 file holds no private key"
PKCS12_NO_CERT = "the PKCS#12 file holds no certificate for its key"
KEY_CERT_MISMATCH = "the private key does not belong to the certificate {cert}"
PKCS12_UNREADABLE = "cannot open the PKCS#12 file: wrong passphrase, or not a PKCS#12 file"


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

    data = read_file(path, "PKCS#12 file")
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
    if not same_public_key(material.key, material.cert):
        raise SigningError(KEY_CERT_MISMATCH.format(cert=config.cert), path=config.key)
    check_certificate(material.cert, config.cert)
    chain = material.chain + tuple(load_certificate(extra) for extra in config.chain)
    return SigningMaterial(key=material.key, cert=material.cert, chain=chain)
