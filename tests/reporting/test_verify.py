import re
import shutil
from pathlib import Path

import pytest

from governance.errors import InputError
from governance.reporting import init_dev_keys, render_pdf, verify_report
from governance.reporting.sign import SIGNATURE_FIELD, sign_pdf
from governance.reporting.verify import (
    NO_SIGNATURE,
    NOT_A_PDF,
    NOT_COVERING,
    NOT_TRUSTED,
)


@pytest.fixture
def report(tmp_path, signed_report) -> Path:
    copy = tmp_path / "report.pdf"
    shutil.copy(signed_report.path, copy)
    return copy


def signed_range(data: bytes) -> tuple[int, int, int, int]:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    assert match
    return tuple(int(x) for x in match.groups())


def test_signed_report_is_valid_with_the_dev_cert_as_trust_root(signed_report, dev_keys):
    assert signed_report.signed
    assert signed_report.dev_key
    assert "OU=DEVELOPMENT KEY - NOT FOR PRODUCTION" in signed_report.signer_subject
    result = verify_report(signed_report.path, trust_roots=[dev_keys.cert])
    assert result.valid, result.problems
    assert result.problems == []
    assert result.intact and result.trusted and result.covers_whole_file
    assert result.dev_key
    assert result.signer_subject == signed_report.signer_subject
    assert result.signed_at is not None


def test_signed_report_shows_the_signer_on_the_cover(signed_report, pdf_text):
    text = pdf_text(signed_report.path)
    assert "Signed with a DEVELOPMENT key — not for production" in text
    assert "FAILED" in text


def test_untrusted_without_trust_roots(signed_report):
    result = verify_report(signed_report.path)
    assert not result.valid
    assert result.intact and result.covers_whole_file
    assert not result.trusted
    assert result.problems == [NOT_TRUSTED]


def test_untrusted_with_an_unrelated_trust_root(tmp_path, signed_report):
    other = init_dev_keys(tmp_path / "other")
    result = verify_report(signed_report.path, trust_roots=[other.cert])
    assert not result.valid
    assert not result.trusted
    assert "is not trusted by the given trust roots" in result.problems[0]
    assert "(certificate chain general failure)" in result.problems[0]


@pytest.mark.parametrize("root", ["none", "unrelated"])
def test_an_untrusted_report_prints_the_verdict_and_no_library_logs(tmp_path, signed_report, root):
    """pyHanko logged each failed path validation with a traceback (20 lines on stderr)."""
    import subprocess
    import sys

    args = [sys.executable, "-m", "governance", "verify", str(signed_report.path)]
    if root == "unrelated":
        args += ["--trust-root", str(init_dev_keys(tmp_path / "other").cert)]
    run = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert run.stdout.splitlines()[0] == f"INVALID: {signed_report.path}"
    assert "not trusted" in run.stdout
    assert run.stderr == ""


def test_library_loggers_are_quiet_only_while_verifying(signed_report, caplog):
    import logging

    library = logging.getLogger("pyhanko.sign.validation.generic_cms")
    with caplog.at_level(logging.DEBUG):
        assert not verify_report(signed_report.path).valid
        assert [r for r in caplog.records if r.name.startswith("pyhanko")] == []
        assert library.isEnabledFor(logging.WARNING)


def test_flipped_byte_inside_the_signed_range(report, dev_keys):
    data = bytearray(report.read_bytes())
    _, first_length, _, _ = signed_range(bytes(data))
    # flip a byte inside the first page's content stream, well within the first signed range
    position = data.index(b"stream", 0, first_length) + 40
    assert position < first_length
    data[position] ^= 0x01
    report.write_bytes(bytes(data))
    result = verify_report(report, trust_roots=[dev_keys.cert])
    assert not result.valid
    assert not result.intact
    assert any("was modified" in problem for problem in result.problems)
    # the signer is the trust root given: the broken signature is the only problem said
    assert not any("not trusted" in problem for problem in result.problems), result.problems


def test_bytes_appended_after_signing(report, dev_keys):
    with report.open("ab") as handle:
        handle.write(b"\n% appended after signing\n")
    result = verify_report(report, trust_roots=[dev_keys.cert])
    assert not result.valid
    assert result.intact  # the signed bytes themselves are untouched ...
    assert not result.covers_whole_file  # ... but they are not the whole file
    assert NOT_COVERING in result.problems


def test_incremental_update_after_signing(report, dev_keys):
    """A well-formed incremental update (new document info) is still a change after signing."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with report.open("r+b") as handle:
        writer = IncrementalPdfFileWriter(handle)
        info = generic.DictionaryObject({generic.pdf_name("/Title"): generic.pdf_string("edited")})
        writer.set_info(writer.add_object(info))
        writer.write_in_place()
    result = verify_report(report, trust_roots=[dev_keys.cert])
    assert not result.valid
    assert result.intact
    assert not result.covers_whole_file
    assert NOT_COVERING in result.problems


def test_incremental_update_painting_over_the_verdict(report, dev_keys):
    """The attack that matters: an update that draws over page 1 of a signed report."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with report.open("r+b") as handle:
        writer = IncrementalPdfFileWriter(handle)
        overlay = writer.add_object(
            generic.StreamObject(stream_data=b"q 1 1 1 rg 0 0 595 842 re f Q")
        )
        writer.add_stream_to_page(0, overlay)
        writer.write_in_place()
    result = verify_report(report, trust_roots=[dev_keys.cert])
    assert not result.valid
    assert not result.covers_whole_file


def test_countersignature_covering_the_whole_file(tmp_path, signed_report, dev_keys):
    countersigner = init_dev_keys(tmp_path / "countersigner")
    second = tmp_path / "countersigned.pdf"
    with second.open("w+b") as handle:
        sign_pdf(
            signed_report.path.read_bytes(), handle, countersigner, field_name="Countersignature"
        )
    both = verify_report(second, trust_roots=[dev_keys.cert, countersigner.cert])
    assert both.valid, both.problems
    assert both.signer_subject == signed_report.signer_subject  # same CN, different key
    only_first = verify_report(second, trust_roots=[dev_keys.cert])
    assert not only_first.valid
    assert not only_first.trusted


def test_not_a_pdf(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_text("hello, I am a text file")
    result = verify_report(path)
    assert not result.valid
    assert result.problems == [NOT_A_PDF]


def test_damaged_pdf_is_invalid_not_a_crash(report, dev_keys):
    data = report.read_bytes()
    report.write_bytes(data[: len(data) // 3])
    result = verify_report(report, trust_roots=[dev_keys.cert])
    assert not result.valid
    assert result.problems


def test_unsigned_pdf(tmp_path, evaluation):
    out = tmp_path / "unsigned.pdf"
    render_pdf(evaluation, out)
    result = verify_report(out)
    assert not result.valid
    assert result.problems == [NO_SIGNATURE]


def test_missing_report_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="report not found"):
        verify_report(tmp_path / "missing.pdf")


def test_bad_trust_root_is_an_input_error(tmp_path, signed_report):
    with pytest.raises(InputError, match="certificate not found"):
        verify_report(signed_report.path, trust_roots=[tmp_path / "missing.pem"])


def test_signature_field_name(signed_report):
    from pyhanko.pdf_utils.reader import PdfFileReader

    with signed_report.path.open("rb") as handle:
        reader = PdfFileReader(handle)
        assert [s.field_name for s in reader.embedded_signatures] == [SIGNATURE_FIELD]
        subfilter = reader.embedded_signatures[0].sig_object["/SubFilter"]
    assert subfilter == "/ETSI.CAdES.detached"


# --- attestations, the tamper suite, and the audit store -------------------------------------

import json  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from governance.errors import StoreError  # noqa: E402
from governance.reporting.evidence import (  # noqa: E402
    DETACHED_NOT_SIGNED,
    DETACHED_WRONG_REPORT,
    STORE_CHAIN_BROKEN,
    STORE_CHECKPOINT_FAILS,
    STORE_MISSING,
    STORE_RECORD_MISMATCH,
)
from governance.reports import write_report  # noqa: E402
from governance.store.records import ChainReport  # noqa: E402

from .conftest import CHECKPOINT  # noqa: E402


@pytest.fixture
def full(tmp_path, full_report) -> tuple[Path, Path]:
    pdf = tmp_path / "report.pdf"
    attestation = tmp_path / "report.intoto.json"
    shutil.copy(full_report.path, pdf)
    shutil.copy(full_report.attestation, attestation)
    return pdf, attestation


def test_report_and_its_attestation_verify(full, dev_keys, full_record):
    pdf, attestation = full
    result = verify_report(pdf, trust_roots=[dev_keys.cert], attestation=attestation)
    assert result.valid, result.problems
    assert result.attestation_checked
    assert result.evaluation_id == full_record["evaluation_id"]
    assert result.archive_problems == []


def test_detached_attestation_names_the_signed_pdf(full_report):
    import base64
    import hashlib

    envelope = json.loads(full_report.attestation.read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    report = next(s for s in statement["subject"] if s["annotations"]["role"] == "report")
    assert report["name"] == "report.pdf"
    assert report["digest"]["sha256"] == hashlib.sha256(full_report.path.read_bytes()).hexdigest()
    assert statement["predicate"]["auditCheckpoint"] == CHECKPOINT


def _invalid_because(pdf, dev_keys, attestation=None, **kwargs):
    result = verify_report(pdf, trust_roots=[dev_keys.cert], attestation=attestation, **kwargs)
    assert not result.valid
    return result.problems


def test_tamper_flipped_byte(full, dev_keys):
    pdf, attestation = full
    data = bytearray(pdf.read_bytes())
    _, first_length, _, _ = signed_range(bytes(data))
    data[first_length // 2] ^= 0x20
    pdf.write_bytes(bytes(data))
    problems = _invalid_because(pdf, dev_keys, attestation)
    # the signature fails, and the detached attestation no longer names this file
    assert any("was modified" in p or "cannot be validated" in p for p in problems)
    assert any(p.startswith("the attestation is for another report") for p in problems)


def test_tamper_appended_bytes(full, dev_keys):
    pdf, attestation = full
    with pdf.open("ab") as handle:
        handle.write(b"\n% a note added after signing\n")
    problems = _invalid_because(pdf, dev_keys, attestation)
    assert NOT_COVERING in problems
    assert any(p.startswith("the attestation is for another report") for p in problems)


def test_tamper_incremental_update_adding_a_page_of_content(full, dev_keys):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    pdf, attestation = full
    with pdf.open("r+b") as handle:
        writer = IncrementalPdfFileWriter(handle)
        text = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (PASSED) Tj ET")
        writer.add_stream_to_page(0, writer.add_object(text))
        writer.write_in_place()
    problems = _invalid_because(pdf, dev_keys, attestation)
    assert NOT_COVERING in problems


def test_tamper_swapped_attestation(tmp_path, full, dev_keys, evaluation):
    """An attestation of another report, by the same signer, does not vouch for this one."""
    pdf, _ = full
    other = render_pdf(evaluation, tmp_path / "other.pdf", signing=dev_keys)
    problems = _invalid_because(pdf, dev_keys, other.attestation)
    assert any(p.startswith(DETACHED_WRONG_REPORT.split("{")[0]) for p in problems)
    assert any("names another evaluation record" in p for p in problems)


def test_tamper_attestation_edited_or_signed_by_someone_else(tmp_path, full, dev_keys):
    import base64

    from governance.keys import load_signing_material
    from governance.reporting.attest import sign_statement

    pdf, attestation = full
    envelope = json.loads(attestation.read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["verdict"] = "passed"
    envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    attestation.write_text(json.dumps(envelope))
    problems = _invalid_because(pdf, dev_keys, attestation)
    assert DETACHED_NOT_SIGNED in problems
    assert "the attestation's predicate differs from the one embedded in the report" in problems

    forger = load_signing_material(init_dev_keys(tmp_path / "forger"))
    attestation.write_text(json.dumps(sign_statement(statement, forger)))
    assert DETACHED_NOT_SIGNED in _invalid_because(pdf, dev_keys, attestation)


def test_a_missing_attestation_file_is_an_input_error(full, dev_keys, tmp_path):
    pdf, _ = full
    with pytest.raises(InputError, match="cannot read the attestation"):
        verify_report(pdf, trust_roots=[dev_keys.cert], attestation=tmp_path / "none.json")


@dataclass
class FakeEntry:
    seq: int
    entry_hash: str


@dataclass
class FakeCheckpointCheck:
    ok: bool
    problem: str | None = None


class FakeStore:
    """The parts of AuditStore that reporting uses, with a checkpoint (as the store will)."""

    def __init__(self, record, *, entries=41, checkpoint=CHECKPOINT, chain_ok=True):
        self.records = {record["evaluation_id"]: json.loads(json.dumps(record))}
        self.hashes = {seq: f"{seq:064x}" for seq in range(1, entries + 1)}
        if checkpoint and checkpoint["size"] in self.hashes:
            self.hashes[checkpoint["size"]] = checkpoint["head_hash"]
        self.checkpoint = checkpoint
        self.chain_ok = chain_ok
        self.appended = []

    def get_evaluation(self, ref, *, model=None):
        if ref == "latest":
            ref = next(iter(self.records))
        if ref not in self.records:
            raise StoreError(f"no evaluation {ref} in fake://")
        return json.loads(json.dumps(self.records[ref]))

    def verify(self):
        if self.chain_ok:
            return ChainReport(
                True, len(self.hashes), self.hashes.get(len(self.hashes)), None, None
            )
        return ChainReport(False, 3, None, 4, "entry 4 does not match its hash")

    def entries(self, *, kind=None, since_seq=None, limit=None):
        seqs = sorted(s for s in self.hashes if s > (since_seq or 0))[:limit]
        return iter([FakeEntry(s, self.hashes[s]) for s in seqs])

    def latest_checkpoint(self):
        return self.checkpoint

    def check_checkpoint(self, checkpoint):
        """As AuditStore.check_checkpoint, but the signature is not checked."""
        size = checkpoint["size"]
        if size not in self.hashes:
            return FakeCheckpointCheck(False, f"the log has {len(self.hashes)} entries, not {size}")
        if self.hashes[size] != checkpoint["head_hash"]:
            return FakeCheckpointCheck(False, f"entry {size} was rewritten")
        return FakeCheckpointCheck(True)

    def append(self, kind, payload):
        self.appended.append((kind, payload))


def test_store_holds_the_evaluation_and_its_history_is_intact(full, dev_keys, full_record):
    pdf, attestation = full
    result = verify_report(
        pdf, trust_roots=[dev_keys.cert], attestation=attestation, store=FakeStore(full_record)
    )
    assert result.valid, result.problems
    assert result.store_checked


def test_store_problems_are_each_named(full, dev_keys, full_record, evaluation):
    pdf, _ = full
    missing = FakeStore(evaluation)  # another evaluation id? same fixture id: change it
    missing.records = {"other": evaluation}
    problems = _invalid_because(pdf, dev_keys, store=missing)
    assert problems == [
        STORE_MISSING.format(
            id=full_record["evaluation_id"],
            error=f"no evaluation {full_record['evaluation_id']} in fake://",
        )
    ]

    edited = FakeStore(full_record)
    edited.records[full_record["evaluation_id"]]["verdict"] = "passed"
    assert _invalid_because(pdf, dev_keys, store=edited) == [
        STORE_RECORD_MISMATCH.format(id=full_record["evaluation_id"])
    ]

    broken = FakeStore(full_record, chain_ok=False)
    assert _invalid_because(pdf, dev_keys, store=broken) == [
        STORE_CHAIN_BROKEN.format(problem="entry 4 does not match its hash")
    ]

    truncated = FakeStore(full_record, entries=30)
    assert _invalid_because(pdf, dev_keys, store=truncated) == [
        STORE_CHECKPOINT_FAILS.format(problem="the log has 30 entries, not 41")
    ]

    rewritten = FakeStore(full_record, checkpoint={**CHECKPOINT, "head_hash": "0" * 64})
    assert _invalid_because(pdf, dev_keys, store=rewritten) == [
        STORE_CHECKPOINT_FAILS.format(problem="entry 41 was rewritten")
    ]


def test_write_report_embeds_the_latest_checkpoint_and_records_the_report(
    tmp_path, full_record, dev_keys, pdf_text
):
    store = FakeStore(full_record)
    out = tmp_path / "report.pdf"
    result = write_report(store, "latest", out, signing=dev_keys)
    assert result.attestation == tmp_path / "report.intoto.json"
    text = pdf_text(out)
    assert CHECKPOINT["head_hash"] in text
    assert "41 entries" in text
    [(kind, payload)] = store.appended
    assert kind == "report"
    assert payload["evaluation_id"] == full_record["evaluation_id"]
    assert payload["checkpoint"] == CHECKPOINT
    assert payload["attestation"]["path"] == str(result.attestation)
    assert verify_report(out, trust_roots=[dev_keys.cert], store=store).valid


def test_write_report_without_checkpoints_says_so(tmp_path, evaluation, pdf_text):
    class OldStore(FakeStore):
        latest_checkpoint = None  # a store without checkpoints yet

    store = OldStore(evaluation, checkpoint=None)
    out = tmp_path / "report.pdf"
    write_report(store, evaluation["evaluation_id"], out, signing=None)
    assert "No signed checkpoint of the audit log" in pdf_text(out)
    assert store.appended[0][1]["checkpoint"] is None


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.97])
def test_truncated_or_garbled_reports_are_invalid_not_a_crash(full, dev_keys, cut):
    pdf, attestation = full
    data = pdf.read_bytes()
    garbled = bytearray(data[: int(len(data) * cut)])
    for position in range(200, len(garbled), 997):
        garbled[position] ^= 0xFF
    pdf.write_bytes(bytes(garbled))
    result = verify_report(pdf, trust_roots=[dev_keys.cert], attestation=attestation)
    assert not result.valid
    assert result.problems
