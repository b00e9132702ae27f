"""PAdES signature of a rendered report (pyHanko), with no network access.

The signature is added as an incremental update whose byte range covers the whole file, in an
invisible field named :data:`SIGNATURE_FIELD`. No timestamp authority is contacted, so the
signing time is the one the signer reports (a signed attribute).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, Any

from governance.errors import SigningError
from governance.reporting.keys import SigningConfig, load_certificate, load_private_key

SIGNATURE_FIELD = "GovernanceSignature"
SIGNATURE_REASON = "Model compliance report issued by governance"
SIGNING_FAILED = "signing the report failed: {error}"


def sign_pdf(
    pdf: bytes,
    output: IO[bytes],
    signing: SigningConfig,
    *,
    field_name: str = SIGNATURE_FIELD,
) -> None:
    """Sign ``pdf`` with a PAdES signature and write the signed file to ``output``.

    Parameters
    ----------
    pdf
        The unsigned PDF.
    output
        A writable, seekable binary stream; the signed PDF is written from its start.
    signing
        The key material.
    field_name
        The signature field to create; a second signature (a countersignature) needs a name
        of its own.

    Raises
    ------
    SigningError
        If the key material cannot be loaded or pyHanko refuses to sign.
    """
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = load_private_key(signing.key, signing.passphrase)
    key_info = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    def to_asn1(path: Path) -> Any:
        cert = load_certificate(path)
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    signer = signers.SimpleSigner(
        signing_cert=to_asn1(signing.cert),
        signing_key=key_info,
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [to_asn1(path) for path in signing.chain]
        ),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=SIGNATURE_REASON,
        md_algorithm="sha256",
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        signers.PdfSigner(metadata, signer).sign_pdf(writer, output=output)
    except (PdfError, ValueError) as exc:
        raise SigningError(SIGNING_FAILED.format(error=exc), path=signing.key) from exc
