"""PAdES B-T: an RFC 3161 timestamp from a local, in-process authority (never the network)."""

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from governance.errors import SigningError
from governance.reporting import SigningConfig, render_pdf, verify_report
from governance.reporting.verify import TIMESTAMP_INVALID


def _tsa_identity(directory: Path) -> tuple[Path, object]:
    """A self-signed RSA timestamping certificate (EKU timeStamping, critical) and its key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Local Test TSA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = directory / "tsa.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, (cert, key)


def _dummy_timestamper(identity):
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    cert, key = identity
    return DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )


@pytest.fixture(scope="module")
def tsa(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """An RFC 3161 responder on 127.0.0.1, answering with pyHanko's DummyTimeStamper."""
    from asn1crypto import tsp

    cert_path, identity = _tsa_identity(tmp_path_factory.mktemp("tsa"))
    stamper = _dummy_timestamper(identity)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # the http.server API names it so
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsr", cert_path
    server.shutdown()
    thread.join()


def test_tsa_url_timestamps_the_signature(tmp_path, evaluation, dev_keys, tsa):
    url, tsa_cert = tsa
    signing = SigningConfig(key=dev_keys.key, cert=dev_keys.cert, tsa_url=url)
    result = render_pdf(evaluation, tmp_path / "report.pdf", signing=signing)
    assert result.timestamped
    check = verify_report(result.path, trust_roots=[dev_keys.cert, tsa_cert])
    assert check.valid, check.problems
    assert check.timestamp is not None
    assert abs(check.timestamp - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert check.archive_problems == []  # still PDF/A-3b with the timestamp token


def test_an_untrusted_timestamp_authority_is_a_problem(tmp_path, evaluation, dev_keys, tsa):
    url, _ = tsa
    signing = SigningConfig(key=dev_keys.key, cert=dev_keys.cert, tsa_url=url)
    result = render_pdf(evaluation, tmp_path / "report.pdf", signing=signing)
    check = verify_report(result.path, trust_roots=[dev_keys.cert])
    assert not check.valid
    assert any(
        p.startswith(TIMESTAMP_INVALID.split("(")[0].format(name="GovernanceSignature"))
        for p in check.problems
    )


def test_in_process_timestamper(tmp_path, evaluation, dev_keys):
    cert_path, identity = _tsa_identity(tmp_path)
    result = render_pdf(
        evaluation,
        tmp_path / "report.pdf",
        signing=dev_keys,
        timestamper=_dummy_timestamper(identity),
    )
    check = verify_report(result.path, trust_roots=[dev_keys.cert, cert_path])
    assert check.valid, check.problems
    assert check.timestamp is not None


def test_an_unreachable_tsa_is_a_signing_error_and_nothing_is_written(
    tmp_path, evaluation, dev_keys
):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    signing = SigningConfig(
        key=dev_keys.key, cert=dev_keys.cert, tsa_url=f"http://127.0.0.1:{port}/"
    )
    with pytest.raises(SigningError, match="timestamp authority"):
        render_pdf(evaluation, tmp_path / "report.pdf", signing=signing)
    assert list(tmp_path.iterdir()) == []
