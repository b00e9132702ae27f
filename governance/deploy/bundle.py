"""The signed VSA as files: a DSSE envelope and the same envelope as a Sigstore bundle.

The envelope is signed over the DSSE pre-authentication encoding with the configured signing
key (:func:`governance.reporting.attest.sign_statement`: ``keyid`` is the sha256 of the
signer certificate's public key). The Sigstore bundle (media type
``application/vnd.dev.sigstore.bundle.v0.3+json``) carries that envelope with the signer's
certificate as its verification material. There is no transparency log here, so the bundle
has no ``tlogEntries`` and no timestamps: a Sigstore verifier that insists on a log entry or a
signed timestamp refuses it; one configured for a key or certificate without a log (cosign's
``--insecure-ignore-tlog``, a Kyverno ``attestor`` with a certificate or key) reads it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from governance.keys import SigningMaterial
from governance.reporting.attest import sign_statement

BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
BUNDLE_SUFFIX = ".sigstore.json"
VSA_SUFFIX = ".vsa.json"
VSA_BUNDLE_SUFFIX = ".vsa" + BUNDLE_SUFFIX


def bundle_path(envelope: Path) -> Path:
    """Where the bundle of an envelope file goes: ``x.vsa.json`` -> ``x.vsa.sigstore.json``."""
    name = envelope.name
    stem = name[: -len(".json")] if name.endswith(".json") else name
    return envelope.with_name(stem + BUNDLE_SUFFIX)


def default_paths(artifact: Path) -> tuple[Path, Path]:
    """The VSA files beside an artifact: ``ARTIFACT.vsa.json``, ``ARTIFACT.vsa.sigstore.json``."""
    return (
        artifact.with_name(artifact.name + VSA_SUFFIX),
        artifact.with_name(artifact.name + VSA_BUNDLE_SUFFIX),
    )


def sign_vsa(statement: Mapping[str, Any], material: SigningMaterial) -> dict[str, Any]:
    """The statement in a DSSE envelope signed with ``material`` (one signature)."""
    return sign_statement(statement, material)


def to_bundle(envelope: Mapping[str, Any], material: SigningMaterial) -> dict[str, Any]:
    """A Sigstore bundle v0.3 of a signed envelope, with the signer's certificate.

    Parameters
    ----------
    envelope
        The DSSE envelope (exactly one signature, as a bundle requires).
    material
        The signer's key material; only its certificate goes into the bundle.

    Returns
    -------
    dict
        ``mediaType``, ``verificationMaterial`` (``certificate.rawBytes``: base64 DER, empty
        ``tlogEntries``) and ``dsseEnvelope``.
    """
    from cryptography.hazmat.primitives import serialization

    der = material.cert.public_bytes(serialization.Encoding.DER)
    return {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {
            "certificate": {"rawBytes": base64.b64encode(der).decode("ascii")},
            "tlogEntries": [],
        },
        "dsseEnvelope": {
            "payload": envelope["payload"],
            "payloadType": envelope["payloadType"],
            "signatures": [dict(item) for item in envelope["signatures"]],
        },
    }


def json_bytes(document: Mapping[str, Any]) -> bytes:
    """A document as written to disk (indented, sorted keys, trailing newline)."""
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")
