"""Whom a VSA's signature is trusted from: the caller's trust roots and the chains to them.

A certificate is trusted if it is a trust root, or if CA certificates (BasicConstraints
``ca``) chain it to one, each issued by the next, every one valid now. Nothing is fetched:
revocation is not checked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from governance.errors import InputError, SigningError
from governance.keys import load_certificate

if TYPE_CHECKING:
    from cryptography import x509


def load_trust_roots(paths: Sequence[Path]) -> list[x509.Certificate]:
    """The trust root certificates; an unusable one is an InputError naming its file."""
    roots = []
    for path in paths:
        try:
            roots.append(load_certificate(Path(path)))
        except SigningError as exc:
            raise InputError(exc.message, path=exc.path, hint="--trust-root CERT") from exc
    return roots


def valid_now(cert: x509.Certificate, now: dt.datetime) -> bool:
    """Whether ``now`` is within the certificate's validity period."""
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def chain_problem(
    certs: Sequence[x509.Certificate], roots: Sequence[x509.Certificate], now: dt.datetime
) -> str | None:
    """Why the leaf ``certs[0]`` does not chain to a root through ``certs[1:]``; None if it does."""
    from cryptography.hazmat.primitives import serialization

    der = serialization.Encoding.DER
    root_ders = {root.public_bytes(der) for root in roots}
    current, pool = certs[0], list(certs[1:])
    for _ in range(len(certs) + 1):
        if not valid_now(current, now):
            return "a certificate is expired or not yet valid"
        if current.public_bytes(der) in root_ders:
            return None
        issuer = next((c for c in [*roots, *pool] if issued_by(current, c)), None)
        if issuer is None:
            return "no trust root issued its certificate"
        if issuer.public_bytes(der) in root_ders:
            return None if valid_now(issuer, now) else "the trust root is expired"
        pool.remove(issuer)
        current = issuer
    return "no trust root issued its certificate"


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer`` is a CA certificate whose key signed ``cert``."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

    try:
        if not issuer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
        cert.verify_directly_issued_by(issuer)
    except (x509.ExtensionNotFound, InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def may_sign(cert: x509.Certificate) -> bool:
    """Whether a certificate's key usage (if it has one) allows signing."""
    from cryptography import x509

    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return bool(usage.digital_signature or usage.content_commitment)
