import datetime as dt
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from governance.errors import SigningError
from governance.keys import DEV_CERT_FILE, DEV_KEY_FILE
from governance.reporting import (
    SigningConfig,
    init_dev_keys,
    is_dev_certificate,
    load_signing_config,
)


def make_cert(
    tmp_path: Path,
    name: str = "CN=Example Compliance, O=Example",
    *,
    days: int = 30,
    key_usage: bool = True,
    passphrase: bytes | None = None,
) -> SigningConfig:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Example Compliance"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=60))
        .not_valid_after(now + dt.timedelta(days=days))
    )
    if key_usage:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    cert = builder.sign(key, hashes.SHA256())
    encryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    key_path, cert_path = tmp_path / "key.pem", tmp_path / "cert.der"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    return SigningConfig(key=key_path, cert=cert_path, passphrase=passphrase)


def test_init_dev_keys_writes_a_private_key_and_a_marked_certificate(tmp_path):
    config = init_dev_keys(tmp_path / "keys")
    assert config.key == tmp_path / "keys" / DEV_KEY_FILE
    assert config.cert == tmp_path / "keys" / DEV_CERT_FILE
    assert stat.S_IMODE(config.key.stat().st_mode) == 0o600
    assert is_dev_certificate(config.cert)
    cert = x509.load_pem_x509_certificate(config.cert.read_bytes())
    subject = cert.subject.rfc4514_string()
    assert "OU=DEVELOPMENT KEY - NOT FOR PRODUCTION" in subject
    assert "O=governance development" in subject
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert load_signing_config(config.key, config.cert) == config


def test_init_dev_keys_refuses_to_overwrite(tmp_path):
    first = init_dev_keys(tmp_path)
    before = first.key.read_bytes()
    with pytest.raises(SigningError, match="refusing to overwrite") as info:
        init_dev_keys(tmp_path)
    assert info.value.path == str(first.key)
    assert first.key.read_bytes() == before
    second = init_dev_keys(tmp_path, force=True, common_name="ci key")
    assert second.key.read_bytes() != before
    assert stat.S_IMODE(second.key.stat().st_mode) == 0o600
    assert (
        "CN=ci key"
        in x509.load_pem_x509_certificate(second.cert.read_bytes()).subject.rfc4514_string()
    )


def test_repr_hides_the_passphrase(tmp_path):
    assert "hunter2" not in repr(SigningConfig(key=tmp_path, cert=tmp_path, passphrase=b"hunter2"))


def test_other_certificates_are_not_development_ones(tmp_path):
    config = make_cert(tmp_path, key_usage=False)
    assert not is_dev_certificate(config.cert)
    assert load_signing_config(config.key, config.cert).cert == config.cert


def test_missing_files_are_named(tmp_path):
    config = init_dev_keys(tmp_path)
    with pytest.raises(SigningError, match="private key not found") as info:
        load_signing_config(tmp_path / "nope.pem", config.cert)
    assert info.value.path == str(tmp_path / "nope.pem")
    with pytest.raises(SigningError, match="certificate not found"):
        load_signing_config(config.key, tmp_path / "nope.crt")
    with pytest.raises(SigningError, match="certificate not found"):
        load_signing_config(config.key, config.cert, chain=[tmp_path / "chain.pem"])


def test_garbage_is_rejected(tmp_path):
    config = init_dev_keys(tmp_path)
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(SigningError, match=r"not a PEM or DER X\.509 certificate") as info:
        load_signing_config(config.key, junk)
    assert info.value.path == str(junk)
    with pytest.raises(SigningError, match="not a PEM or DER private key") as info:
        load_signing_config(junk, config.cert)
    assert info.value.path == str(junk)


def test_key_must_match_certificate(tmp_path):
    mine = init_dev_keys(tmp_path / "a")
    theirs = init_dev_keys(tmp_path / "b")
    with pytest.raises(SigningError, match="does not belong to the certificate"):
        load_signing_config(mine.key, theirs.cert)


def test_encrypted_key(tmp_path):
    config = make_cert(tmp_path, key_usage=False, passphrase=b"correct horse")
    with pytest.raises(SigningError, match="passphrase is needed"):
        load_signing_config(config.key, config.cert)
    with pytest.raises(SigningError, match="passphrase is wrong"):
        load_signing_config(config.key, config.cert, passphrase=b"wrong")
    loaded = load_signing_config(config.key, config.cert, passphrase=b"correct horse")
    assert loaded.passphrase == b"correct horse"


def test_expired_or_unsuitable_certificates(tmp_path):
    expired = make_cert(tmp_path, days=-1, key_usage=False)
    with pytest.raises(SigningError, match="expired") as info:
        load_signing_config(expired.key, expired.cert)
    assert info.value.path == str(expired.cert)
    (tmp_path / "b").mkdir()
    encipher_only = make_cert(tmp_path / "b", key_usage=True)
    with pytest.raises(SigningError, match="neither digitalSignature nor nonRepudiation"):
        load_signing_config(encipher_only.key, encipher_only.cert)


# --- PKCS#12 with a certificate chain ------------------------------------------------------


def _ca_chain(tmp_path: Path, *, signer_days: int = 30):
    """root CA -> intermediate CA -> signer; returns (root path, signer key, signer, [inter])."""
    from cryptography.x509.oid import ExtendedKeyUsageOID  # noqa: F401 - documents intent

    now = dt.datetime.now(dt.UTC)

    def issue(subject, issuer_name, issuer_key, public_key, *, ca, days):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer_name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=60))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=not ca,
                    content_commitment=not ca,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=ca,
                    crl_sign=ca,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
        )
        return builder.sign(issuer_key, hashes.SHA256())

    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Root CA")])
    root = issue("Example Root CA", root_name, root_key, root_key.public_key(), ca=True, days=3650)
    inter_key = ec.generate_private_key(ec.SECP256R1())
    inter = issue(
        "Example Issuing CA", root.subject, root_key, inter_key.public_key(), ca=True, days=1800
    )
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = issue(
        "Compliance Office",
        inter.subject,
        inter_key,
        signer_key.public_key(),
        ca=False,
        days=signer_days,
    )
    root_path = tmp_path / "root.pem"
    root_path.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return root_path, signer_key, signer, [inter]


def _pkcs12(tmp_path: Path, password: bytes, *, signer_days: int = 30):
    from cryptography.hazmat.primitives.serialization import pkcs12

    root, key, cert, chain = _ca_chain(tmp_path, signer_days=signer_days)
    bundle = tmp_path / "signer.p12"
    bundle.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer", key, cert, chain, serialization.BestAvailableEncryption(password)
        )
    )
    return bundle, root


def test_pkcs12_with_chain_signs_a_report_that_verifies_against_the_root(tmp_path, evaluation):
    from governance.reporting import load_pkcs12_config, render_pdf, verify_report

    bundle, root = _pkcs12(tmp_path, b"s3cret")
    config = load_pkcs12_config(bundle, passphrase=b"s3cret")
    assert "s3cret" not in repr(config)
    result = render_pdf(evaluation, tmp_path / "report.pdf", signing=config)
    assert result.signer_subject == "CN=Compliance Office"
    assert not result.dev_key
    # the intermediate is embedded: the root alone is enough to verify
    check = verify_report(result.path, trust_roots=[root], attestation=result.attestation)
    assert check.valid, check.problems


def test_pkcs12_wrong_or_missing_password_is_one_line(tmp_path):
    from governance.reporting import load_pkcs12_config

    bundle, _ = _pkcs12(tmp_path, b"s3cret")
    for wrong in (b"guess", None):
        with pytest.raises(SigningError) as info:
            load_pkcs12_config(bundle, passphrase=wrong)
        assert str(info.value) == (
            f"{bundle}: cannot open the PKCS#12 file: wrong passphrase, or not a PKCS#12 file"
        )
    with pytest.raises(SigningError, match="PKCS#12 file not found"):
        load_pkcs12_config(tmp_path / "none.p12", passphrase=b"x")


def test_pkcs12_with_an_expired_certificate(tmp_path):
    from governance.reporting import load_pkcs12_config

    bundle, _ = _pkcs12(tmp_path, b"pw", signer_days=-1)
    with pytest.raises(SigningError, match="the certificate expired on"):
        load_pkcs12_config(bundle, passphrase=b"pw")
