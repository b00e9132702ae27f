"""`governance report` and `governance verify` through the real CLI entry point."""

import json
import re
import shutil
from pathlib import Path

import pytest

from governance.audit import AuditStore

from .test_keys import _pkcs12, make_cert

SIGNING_ENV = (
    "GOVERNANCE_STORE_URL",
    "GOVERNANCE_SIGNING_KEY",
    "GOVERNANCE_SIGNING_CERT",
    "GOVERNANCE_SIGNING_PKCS12",
    "GOVERNANCE_SIGNING_CHAIN",
    "GOVERNANCE_SIGNING_PASSPHRASE",
    "GOVERNANCE_TSA_URL",
    "GOVERNANCE_CONFIG",
)


@pytest.fixture
def run(run_cli, monkeypatch, tmp_path):
    """The CLI runner; its result unpacks as ``code, stdout, stderr``."""
    for name in SIGNING_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no governance.yml of the developer's
    return run_cli


@pytest.fixture
def store(tmp_path, full_record) -> str:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    with AuditStore.open(url) as opened:
        opened.append("evaluation", full_record)
    return url


@pytest.fixture
def keys(dev_keys):
    return ("--signing-key", dev_keys.key, "--signing-cert", dev_keys.cert)


def reports_dir(tmp_path: Path) -> Path:
    out = tmp_path / "reports"
    out.mkdir(exist_ok=True)
    return out


def test_report_from_the_store_then_verify(run, store, keys, tmp_path, dev_keys, full_record):
    out = reports_dir(tmp_path) / "report.pdf"
    code, stdout, err = run("report", "latest", "-o", out, "--store", store, *keys)
    assert code == 0, err
    assert f"Report (signed, PDF/A-3b): {out}" in stdout
    assert f"Attestation: {out.with_name('report.intoto.json')}" in stdout
    assert "DEVELOPMENT key" in err
    code, stdout, _ = run(
        "verify",
        out,
        "--trust-root",
        dev_keys.cert,
        "--attestation",
        out.with_name("report.intoto.json"),
        "--store",
        store,
    )
    assert code == 0, stdout
    assert stdout.startswith(f"VALID: {out} signed by ")
    assert f"evaluation {full_record['evaluation_id']}" in stdout
    assert "the evaluation is in the audit store, unchanged, and the chain verifies" in stdout
    with AuditStore.open(store, create=False) as opened:
        [entry] = list(opened.entries(kind="report"))
    assert entry.payload["attestation"]["path"] == str(out.with_name("report.intoto.json"))


def test_report_by_id_and_model_unsigned(run, store, tmp_path, full_record):
    out = reports_dir(tmp_path) / "unsigned.pdf"
    evaluation_id = full_record["evaluation_id"]
    code, stdout, err = run("report", evaluation_id, "-o", out, "--store", store, "--no-sign")
    assert code == 0, err
    assert "Report (unsigned, PDF/A-3b)" in stdout
    assert sorted(p.name for p in out.parent.iterdir()) == ["unsigned.pdf"]
    code, _, err = run(
        "report", "latest", "--model", "no-such-model", "-o", out, "--store", store, "--no-sign"
    )
    assert code == 2
    assert err.startswith("Error: no evaluation of model no-such-model")


def test_verify_lists_every_reason(run, store, keys, tmp_path, dev_keys):
    folder = reports_dir(tmp_path)
    run("report", "latest", "-o", folder / "a.pdf", "--store", store, *keys)
    run("report", "latest", "-o", folder / "b.pdf", "--store", store, *keys)
    tampered = folder / "a.pdf"
    with tampered.open("ab") as handle:
        handle.write(b"\n% appended\n")
    code, stdout, _ = run(
        "verify", tampered, "--trust-root", dev_keys.cert, "--attestation", folder / "b.intoto.json"
    )
    assert code == 1
    lines = stdout.splitlines()
    assert lines[0] == f"INVALID: {tampered}"
    assert any("does not cover the whole file" in line for line in lines)
    assert any("the attestation is for another report" in line for line in lines)
    assert all(line.startswith("  - ") for line in lines[1:])


def bad_input(run, tmp_path, *args, expected):
    out = reports_dir(tmp_path) / "report.pdf"
    code, stdout, err = run("report", "latest", "-o", out, *args)
    assert code == 2, (stdout, err)
    assert err.count("\n") == 1 and err.startswith("Error: "), err
    assert expected in err
    assert list(out.parent.iterdir()) == [], "nothing may be written"
    return err


def test_unknown_evaluation_id(run, store, keys, tmp_path):
    out = reports_dir(tmp_path) / "report.pdf"
    code, _, err = run("report", "0000-nope", "-o", out, "--store", store, *keys)
    assert code == 2
    assert err == f"Error: no evaluation 0000-nope in {store}\n"
    assert list(out.parent.iterdir()) == []


def test_missing_key_or_certificate(run, store, tmp_path, dev_keys):
    bad_input(run, tmp_path, "--store", store, expected="no signing key configured")
    bad_input(
        run,
        tmp_path,
        "--store",
        store,
        "--signing-key",
        tmp_path / "missing.pem",
        "--signing-cert",
        dev_keys.cert,
        expected="missing.pem: private key not found",
    )
    bad_input(
        run,
        tmp_path,
        "--store",
        store,
        "--signing-key",
        dev_keys.key,
        "--signing-cert",
        tmp_path / "missing.crt",
        expected="missing.crt: certificate not found",
    )


def test_wrong_pkcs12_password(run, store, tmp_path, monkeypatch):
    bundle, _ = _pkcs12(tmp_path, b"right")
    monkeypatch.setenv("GOVERNANCE_SIGNING_PASSPHRASE", "Tr0ub4dor&3")
    err = bad_input(
        run,
        tmp_path,
        "--store",
        store,
        "--signing-pkcs12",
        bundle,
        expected="cannot open the PKCS#12 file: wrong passphrase",
    )
    assert "Tr0ub4dor" not in err  # the secret is never printed


def test_pkcs12_passphrase_from_the_environment_signs(run, store, tmp_path, monkeypatch):
    bundle, root = _pkcs12(tmp_path, b"right")
    monkeypatch.setenv("GOVERNANCE_SIGNING_PASSPHRASE", "right")
    monkeypatch.setenv("GOVERNANCE_SIGNING_PKCS12", str(bundle))
    out = reports_dir(tmp_path) / "report.pdf"
    code, _, err = run("report", "latest", "-o", out, "--store", store)
    assert code == 0, err
    code, stdout, _ = run("verify", out, "--trust-root", root)
    assert code == 0, stdout


def test_passphrase_in_a_settings_file_is_refused(run, store, tmp_path):
    config = tmp_path / "governance.yml"
    config.write_text("signing_passphrase: hunter2\n")
    err = bad_input(
        run,
        tmp_path,
        "--store",
        store,
        "--config",
        config,
        expected="signing_passphrase is a secret: set it in the environment",
    )
    assert "hunter2" not in err


def test_expired_certificate(run, store, tmp_path):
    expired = make_cert(tmp_path, days=-1, key_usage=False)
    bad_input(
        run,
        tmp_path,
        "--store",
        store,
        "--signing-key",
        expired.key,
        "--signing-cert",
        expired.cert,
        expected="the certificate expired on",
    )


def test_template_syntax_error(run, store, keys, tmp_path):
    theme = tmp_path / "theme"
    shutil.copytree(Path(__file__).parents[2] / "report_templates", theme)
    text = (theme / "report.html.j2").read_text().replace("{% endif %}", "{% endiff %}", 1)
    (theme / "report.html.j2").write_text(text)
    bad_input(
        run,
        tmp_path,
        "--store",
        store,
        *keys,
        "--templates",
        theme,
        expected=f"{theme.resolve() / 'report.html.j2'}:",
    )


def test_no_partial_pdf_when_signing_fails_midway(run, store, keys, tmp_path, monkeypatch):
    from governance.errors import SigningError
    from governance.reporting import sign as sign_module

    def failing(pdf, output, signing, **_):
        output.write(pdf[:100])
        raise SigningError("the timestamp authority http://tsa.invalid did not answer")

    monkeypatch.setattr(sign_module, "sign_pdf", failing)
    bad_input(run, tmp_path, "--store", store, *keys, expected="timestamp authority")


def test_report_command_is_registered_lazily():
    from governance.cli import COMMANDS

    assert COMMANDS["report"] == "governance.cli.report:report"


def test_evaluation_record_is_unchanged_by_reporting(store, tmp_path, full_record, dev_keys):
    from governance.reports import write_report

    with AuditStore.open(store, create=False) as opened:
        write_report(opened, "latest", reports_dir(tmp_path) / "r.pdf", signing=dev_keys)
        assert opened.get_evaluation("latest") == json.loads(json.dumps(full_record))
        assert opened.verify().ok


def test_real_store_checkpoint_is_embedded_and_checked(run, store, keys, tmp_path, dev_keys):
    """The report shows the store's latest signed checkpoint; verify --store checks it."""
    from .conftest import pypdf_text

    with AuditStore.open(store, create=False) as opened:
        checkpoint = opened.create_checkpoint(dev_keys)
    out = reports_dir(tmp_path) / "report.pdf"
    code, _, err = run("report", "latest", "-o", out, "--store", store, *keys)
    assert code == 0, err
    assert checkpoint["head_hash"] in re.sub(r"\s+", "", pypdf_text(out))
    code, stdout, _ = run(
        "verify",
        out,
        "--trust-root",
        dev_keys.cert,
        "--store",
        store,
        "--attestation",
        out.with_name("report.intoto.json"),
    )
    assert code == 0, stdout


TRAIN_RUN = "01937a2e-0000-7000-8000-0000000000a2"
EXTRACT_RUN = "01937a2e-0000-7000-8000-0000000000a1"
COMMIT = "e699b4904446e5aa9ffb3d0fc9f5dba3028581ff"


def test_lineage_recorded_in_the_store_is_drawn(tmp_path, full_record, dev_keys):
    from governance.reports import write_report
    from tests.store.conftest import run_event

    from .conftest import pypdf_text

    record = json.loads(json.dumps(full_record))
    record["lineage"]["training_run"] = TRAIN_RUN
    record["lineage"]["code"] = {"path": "samples/adult-income/train.py"}  # no commit declared
    train = run_event(
        TRAIN_RUN,
        "COMPLETE",
        "2026-11-21T09:00:00Z",
        job="train-adult",
        inputs=("adult-train",),
        outputs=("file:models/baseline.skops",),
    )
    train["job"]["facets"] = {
        "sourceCodeLocation": {
            "_producer": train["producer"],
            "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/SourceCodeLocationJobFacet.json",
            "type": "git",
            "url": "https://git.example.org/ml/adult",
            "path": "samples/adult-income/train.py",
            "version": COMMIT,
        }
    }
    url = f"sqlite:///{tmp_path / 'lineage.db'}"
    with AuditStore.open(url) as opened:
        opened.append_events(
            [
                run_event(
                    EXTRACT_RUN,
                    "COMPLETE",
                    "2026-11-20T09:00:00Z",
                    job="extract-census",
                    inputs=("census-raw",),
                    outputs=("adult-train",),
                ),
                train,
            ]
        )
        opened.append("evaluation", record)
        out = reports_dir(tmp_path) / "report.pdf"
        write_report(opened, "latest", out, signing=dev_keys)
    text = re.sub(r"\s+", "", pypdf_text(out))
    for phrase in (
        "Recorded in the audit store",
        "manifest lineage.training_run",
        TRAIN_RUN,
        EXTRACT_RUN,
        "train-adult",
        "extract-census",
        "ns:adult-train",
        "recorded by the training run: https://git.example.org/ml/adult",
        f"samples/adult-income/train.py at commit {COMMIT}",
    ):
        assert re.sub(r"\s+", "", phrase) in text, phrase
    assert "no repository or commit recorded" not in pypdf_text(out)


def test_no_recorded_training_run_is_said(tmp_path, full_record, pdf_text):
    from governance.reports import write_report

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with AuditStore.open(url) as opened:
        opened.append("evaluation", full_record)
        out = reports_dir(tmp_path) / "report.pdf"
        write_report(opened, "latest", out, signing=None)
    assert "The audit store records no training run for this model" in pdf_text(out)


def test_pem_key_with_a_chain_flag(run, store, tmp_path):
    """A PEM key issued by an intermediate: --signing-chain embeds it, the root verifies."""
    from cryptography.hazmat.primitives import serialization

    from .test_keys import _ca_chain

    root, key, cert, chain = _ca_chain(tmp_path)
    key_path, cert_path, inter_path = (tmp_path / n for n in ("k.pem", "c.pem", "i.pem"))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    inter_path.write_bytes(chain[0].public_bytes(serialization.Encoding.PEM))
    out = reports_dir(tmp_path) / "report.pdf"
    base = ("report", "latest", "-o", out, "--store", store)
    keys = ("--signing-key", key_path, "--signing-cert", cert_path)
    code, _, err = run(*base, *keys)
    assert code == 0, err
    code, stdout, _ = run("verify", out, "--trust-root", root)
    assert code == 1 and "not trusted by the given trust roots" in stdout  # chain missing
    code, _, err = run(*base, *keys, "--signing-chain", inter_path)
    assert code == 0, err
    code, stdout, _ = run("verify", out, "--trust-root", root)
    assert code == 0, stdout


def test_attestation_with_no_sign_is_a_usage_error(run, store, tmp_path):
    out, attestation = tmp_path / "r.pdf", tmp_path / "a.json"
    args = ("--store", store, "--no-sign", "--attestation", attestation)
    code, stdout, err = run("report", "latest", "-o", out, *args)
    assert code == 2 and stdout == ""
    assert err == (
        "Error: --attestation needs a signed report: an unsigned report has no attestation "
        "(drop --no-sign, or drop --attestation)\n"
    )
    assert not out.exists() and not attestation.exists()


@pytest.mark.parametrize("which", ["-o", "--attestation"])
def test_a_missing_output_folder_is_refused_not_created(run, store, keys, tmp_path, which):
    missing = tmp_path / "missing"
    paths = {"-o": tmp_path / "r.pdf", "--attestation": tmp_path / "r.intoto.json"}
    paths[which] = missing / "file"
    args = ("-o", paths["-o"], "--attestation", paths["--attestation"], "--store", store, *keys)
    code, _, err = run("report", "latest", *args)
    assert code == 2
    assert err == f"Error: {missing}: the output folder does not exist\n"
    assert not missing.exists() and not list(tmp_path.glob("r.*"))
    with AuditStore.open(store, create=False) as opened:
        assert [e.kind for e in opened.entries()] == ["evaluation"]  # no report recorded


def test_keys_init_over_existing_keys_names_the_flag(run, tmp_path):
    assert run("keys", "init", "--dir", tmp_path / "keys")[0] == 0
    code, _, err = run("keys", "init", "--dir", tmp_path / "keys")
    assert code == 2
    assert err == (
        f"Error: {tmp_path / 'keys' / 'governance-dev-key.pem'}: refusing to overwrite an "
        "existing file (pass --force to replace the development key)\n"
    )
    assert run("keys", "init", "--dir", tmp_path / "keys", "--force")[0] == 0
