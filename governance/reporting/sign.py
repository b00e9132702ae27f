"""PAdES signature of a rendered report (pyHanko), keeping the file PDF/A-3b.

The signature is added as an incremental update whose byte range covers the whole file, in an
invisible field named :data:`SIGNATURE_FIELD` (print flag set, as PDF/A requires). With a
timestamp authority configured the signature carries an RFC 3161 signature timestamp (PAdES
B-T); otherwise no network is used and the signing time is the one the signer reports.

Two details keep the signed file a PDF/A-3 document: pyHanko would raise the document's version
to PDF 2.0 for ECDSA keys (ISO 32002), which PDF/A-3 (based on PDF 1.7) does not allow, so only
the PAdES (ESIC) extension is declared; and the document information's ``/Producer`` is set to
the same value pyHanko writes into the XMP metadata, because PDF/A requires the two to agree.
"""

from __future__ import annotations

import io
from typing import IO, TYPE_CHECKING, Any

from governance.errors import SigningError
from governance.keys import SigningConfig, SigningMaterial, load_signing_material

if TYPE_CHECKING:
    from cryptography import x509

SIGNATURE_FIELD = "GovernanceSignature"
SIGNATURE_REASON = "Model compliance report issued by governance"
SIGNING_FAILED = "signing the report failed: {error}"
TSA_FAILED = "the timestamp authority {url} did not answer with a timestamp: {error}"
TSA_TIMEOUT_SECONDS = 10


def _asn1_cert(cert: x509.Certificate) -> Any:
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _signer(material: SigningMaterial) -> Any:
    from asn1crypto import keys as asn1_keys
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key_info = asn1_keys.PrivateKeyInfo.load(
        material.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return signers.SimpleSigner(
        signing_cert=_asn1_cert(material.cert),
        signing_key=key_info,
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [_asn1_cert(cert) for cert in material.chain]
        ),
    )


def timestamper_for(url: str) -> Any:
    """An RFC 3161 client for ``url`` (HTTP POST, :data:`TSA_TIMEOUT_SECONDS` timeout).

    Parameters
    ----------
    url
        The timestamp authority's URL.

    Returns
    -------
    pyhanko.sign.timestamps.TimeStamper
        The client.
    """
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

    return RequestsHTTPTimeStamper(url, timeout=TSA_TIMEOUT_SECONDS)  # type: ignore[no-untyped-call]


def _pdfa_signer_class() -> Any:
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.sign.signers import constants

    class PdfA3Signer(signers.PdfSigner):
        """A PdfSigner that declares only the PAdES extension, keeping the file at PDF 1.7."""

        def register_extensions(self, pdf_out: Any, *, md_algorithm: str) -> None:
            if self.signature_meta.subfilter == SigSeedSubFilter.PADES:
                pdf_out.ensure_output_version(version=(1, 7))
                if pdf_out.output_version < (2, 0):
                    pdf_out.register_extension(constants.ESIC_EXTENSION_1)

    return PdfA3Signer


def _align_producer(writer: Any) -> None:
    """Make ``/Producer`` in the document information equal the one pyHanko puts in XMP."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.metadata.model import VENDOR

    info_ref = writer.trailer.raw_get("/Info") if "/Info" in writer.trailer else None
    if info_ref is None:
        return
    info = info_ref.get_object()
    info[generic.pdf_name("/Producer")] = generic.TextStringObject(VENDOR)
    writer.mark_update(info_ref)


def sign_pdf(
    pdf: bytes,
    output: IO[bytes],
    signing: SigningConfig,
    *,
    field_name: str = SIGNATURE_FIELD,
    timestamper: Any = None,
) -> None:
    """Sign ``pdf`` with a PAdES signature and write the signed file to ``output``.

    Parameters
    ----------
    pdf
        The unsigned PDF.
    output
        A writable, seekable binary stream; the signed PDF is written from its start.
    signing
        The key material; its ``tsa_url``, if set, timestamps the signature (PAdES B-T).
    field_name
        The signature field to create; a second signature (a countersignature) needs a name
        of its own.
    timestamper
        A pyHanko ``TimeStamper`` to use instead of one for ``signing.tsa_url`` (tests use an
        in-process authority).

    Raises
    ------
    SigningError
        If the key material cannot be loaded, the timestamp authority fails, or pyHanko
        refuses to sign.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import SigningError as PyHankoSigningError
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    material = load_signing_material(signing)
    if timestamper is None and signing.tsa_url:
        timestamper = timestamper_for(signing.tsa_url)
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=SIGNATURE_REASON,
        md_algorithm="sha256",
    )
    pdf_signer = _pdfa_signer_class()(metadata, _signer(material), timestamper=timestamper)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        _align_producer(writer)
        pdf_signer.sign_pdf(writer, output=output)
    except TimestampRequestError as exc:
        url = signing.tsa_url or "(in-process)"
        raise SigningError(TSA_FAILED.format(url=url, error=exc)) from exc
    except (PdfError, ValueError, PyHankoSigningError) as exc:
        if timestamper is not None and "timestamp" in str(exc).lower():
            url = signing.tsa_url or "(in-process)"
            raise SigningError(TSA_FAILED.format(url=url, error=exc)) from exc
        raise SigningError(SIGNING_FAILED.format(error=exc), path=signing.key) from exc
