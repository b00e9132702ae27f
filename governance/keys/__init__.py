"""Signing keys: a user's key material, loaded and checked, or a development key.

A development key is an EC P-256 key with a self-signed certificate whose subject says what it
is (``O=governance development, OU=DEVELOPMENT KEY - NOT FOR PRODUCTION``), so a report or
checkpoint signed with it is recognisable as such. Reports (:mod:`governance.reporting`) and the
audit store's checkpoints (:mod:`governance.store.checkpoint`) sign with it; this package sits
below both. ``cryptography`` is imported inside the functions that need it.
"""

from governance.keys.certificates import (
    check_certificate,
    key_fingerprint,
    load_certificate,
    load_private_key,
    subject_of,
)
from governance.keys.dev import (
    DEV_CERT_FILE,
    DEV_KEY_FILE,
    certificate_is_dev,
    init_dev_keys,
    is_dev_certificate,
)
from governance.keys.material import (
    SigningConfig,
    SigningMaterial,
    load_pkcs12_config,
    load_signing_config,
    load_signing_material,
)

__all__ = [
    "DEV_CERT_FILE",
    "DEV_KEY_FILE",
    "SigningConfig",
    "SigningMaterial",
    "certificate_is_dev",
    "check_certificate",
    "init_dev_keys",
    "is_dev_certificate",
    "key_fingerprint",
    "load_certificate",
    "load_pkcs12_config",
    "load_private_key",
    "load_signing_config",
    "load_signing_material",
    "subject_of",
]
