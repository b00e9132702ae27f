import hashlib
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from governance.errors import InputError, SetupError
from governance.reporting import SignerInfo, render_html, render_pdf
from governance.reporting import _weasy as weasy_module
from governance.reporting import sign as sign_module
from governance.reporting.view import svg_data_uri
from governance.resources import default_templates

REPO = Path(__file__).resolve().parents[2]


def make_templates(tmp_path: Path, body: str, head: str = "") -> Path:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "report.html.j2").write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>",
        encoding="utf-8",
    )
    return templates


def test_html_names_the_model_and_the_verdict(evaluation):
    html = render_html(evaluation)
    assert "adult-income" in html
    assert "FAILED" in html
    assert "fairness-baseline" in html
    assert "Female × White" in html
    assert "Not signed" in html


def test_render_does_not_modify_the_record(evaluation, evaluation_record):
    render_html(evaluation)
    assert evaluation == evaluation_record


def test_model_name_is_escaped(evaluation):
    evaluation["model"]["name"] = "<script>alert('x')</script>"
    evaluation["findings"][0]["title"] = '<img src="file:///etc/passwd">'
    html = render_html(evaluation)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<img src="file:///etc/passwd">' not in html


def test_cover_names_a_development_signer(evaluation):
    html = render_html(evaluation, signer=SignerInfo(subject="CN=dev", dev_key=True))
    assert "CN=dev" in html
    assert "Signed with a DEVELOPMENT key — not for production" in html
    html = render_html(evaluation, signer=SignerInfo(subject="CN=prod", dev_key=False))
    assert "DEVELOPMENT" not in html


def test_passed_verdict(evaluation):
    evaluation.update(verdict="passed", exit_code=0)
    evaluation["summary"].update(blocking=0)
    html = render_html(evaluation)
    assert "PASSED" in html
    assert "FAILED" not in html


def test_waivers_are_listed_or_their_absence_said(evaluation):
    assert "No waiver was considered" in render_html(evaluation)
    evaluation["findings"][1]["outcome"] = "waived"
    evaluation["findings"][1]["waiver"] = {
        "rule_id": evaluation["findings"][1]["rule_id"],
        "subject": {"model": "adult-income", "version": None},
        "justification": "accepted by the risk committee",
        "approved_by": "cro@example.org",
        "ticket": "RISK-1",
        "expires": "2027-01-31",
        "source": "waivers.yaml:3",
        "status": "applied",
        "waived_outcome": "fail",
    }
    html = render_html(evaluation)
    assert "Waivers" in html
    assert "accepted by the risk committee" in html


def test_missing_model_artifact_is_shown(evaluation):
    evaluation["artifacts"]["model"] = None
    assert "predictions were read from the evaluation data" in render_html(evaluation)


def test_unsupported_schema_version(evaluation):
    evaluation["schema_version"] = 99
    with pytest.raises(InputError, match="schema_version"):
        render_html(evaluation)


def test_template_syntax_error_names_file_and_line(tmp_path, evaluation):
    templates = make_templates(tmp_path, "<p>ok</p>\n<p>{% if %}</p>")
    with pytest.raises(InputError) as info:
        render_html(evaluation, templates=templates)
    assert info.value.path is not None
    assert info.value.path.endswith("report.html.j2")
    assert info.value.line == 2


def test_template_runtime_error_names_file_and_line(tmp_path, evaluation):
    templates = make_templates(tmp_path, "<p>ok</p>\n\n<p>{{ evaluation.no_such_field }}</p>")
    with pytest.raises(InputError, match="no_such_field") as info:
        render_html(evaluation, templates=templates)
    assert info.value.path.endswith("report.html.j2")
    assert info.value.line == 3


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ("1/0", "ZeroDivisionError: division by zero"),
        ('"a" + 1', "TypeError"),
        ("5 | svg_data_uri", "AttributeError"),
    ],
)
def test_a_python_error_in_a_template_is_an_input_error_at_its_line(
    tmp_path, evaluation, expression, error
):
    templates = make_templates(tmp_path, "<p>ok</p>\n<p>{{ " + expression + " }}</p>")
    with pytest.raises(InputError) as info:
        render_html(evaluation, templates=templates)
    assert ":2: the report template failed: " + error in str(info.value)
    assert info.value.path.endswith("report.html.j2")
    assert info.value.line == 2


def test_template_sandbox_blocks_python_internals(tmp_path, evaluation):
    templates = make_templates(tmp_path, "{{ evaluation.__class__.__mro__ }}")
    with pytest.raises(InputError):
        render_html(evaluation, templates=templates)


def test_not_a_template_folder(tmp_path, evaluation):
    with pytest.raises(InputError, match="not a template folder") as info:
        render_html(evaluation, templates=tmp_path / "nowhere")
    assert info.value.path == str(tmp_path / "nowhere")


def test_missing_include_is_an_input_error(tmp_path, evaluation):
    templates = make_templates(tmp_path, '{% include "partial.html.j2" %}')
    with pytest.raises(InputError, match=r"partial\.html\.j2"):
        render_html(evaluation, templates=templates)


def test_include_cannot_escape_the_folder(tmp_path, evaluation):
    (tmp_path / "outside.html.j2").write_text("SECRET-TEMPLATE")
    templates = make_templates(tmp_path, '{% include "../outside.html.j2" %}')
    with pytest.raises(InputError):
        render_html(evaluation, templates=templates)


def test_include_cannot_follow_a_symlink_out(tmp_path, evaluation):
    (tmp_path / "outside.html.j2").write_text("SECRET-TEMPLATE")
    templates = make_templates(tmp_path, '{% include "linked.html.j2" %}')
    (templates / "linked.html.j2").symlink_to(tmp_path / "outside.html.j2")
    with pytest.raises(InputError, match="outside the template folder"):
        render_html(evaluation, templates=templates)


def test_pdf_text_has_the_model_and_the_verdict(tmp_path, evaluation, pdf_text):
    out = tmp_path / "report.pdf"
    result = render_pdf(evaluation, out)
    text = pdf_text(out)
    assert "adult-income" in text
    assert "FAILED" in text
    assert "four-fifths-sex" in text
    assert "0.3127" in text
    assert "Page 1 of" in text
    assert not result.signed
    assert result.signer_subject is None
    assert result.path == out
    assert result.sha256 == "sha256:" + hashlib.sha256(out.read_bytes()).hexdigest()
    assert out.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


HOSTILE_HEAD = (
    '<link rel="stylesheet" href="../secret.css">',
    '<link rel="stylesheet" href="{secret_uri}">',
    '<link rel="stylesheet" href="http://127.0.0.1:9/remote.css">',
    '<link rel="attachment" href="file:///etc/passwd">',
)
# An SVG image whose own references reach out: what a stored version-1 chart could have held
# (never rendered now) and what a theme can still embed; the fetcher refuses it all the same.
HOSTILE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'width="100" height="100"><image href="file:///etc/passwd" width="10" height="10"/>'
    '<image xlink:href="http://127.0.0.1:9/x.png" width="10" height="10"/></svg>'
)
HOSTILE_BODY = (
    '<img src="file:///etc/passwd" alt="">',
    '<img src="http://127.0.0.1:9/pixel.png" alt="">',
    '<object data="file:///etc/passwd"></object>',
    f'<img src="{svg_data_uri(HOSTILE_SVG)}" alt="">',
)


@pytest.mark.parametrize("tag", [*HOSTILE_HEAD, *HOSTILE_BODY])
def test_a_template_reaching_out_is_a_clear_error_and_nothing_is_written(
    tmp_path, evaluation, caplog, tag
):
    (tmp_path / "secret.css").write_text("body::after { content: 'SECRET-CSS-LEAK' }")
    tag = tag.format(secret_uri=(tmp_path / "secret.css").as_uri())
    in_head = tag.startswith("<link")
    templates = make_templates(
        tmp_path,
        head=tag if in_head else "",
        body="<h1>{{ evaluation.model.name }}</h1>" + ("" if in_head else tag),
    )
    out = tmp_path / "report.pdf"
    with (
        caplog.at_level(logging.WARNING, logger="weasyprint"),
        pytest.raises(InputError) as info,
    ):
        render_pdf(evaluation, out, templates=templates)
    message = str(info.value)
    assert message.startswith(f"{templates.resolve() / 'report.html.j2'}: the report tried to load")
    assert "refused, only files inside the template folder and data: URIs may be loaded" in message
    assert "\n" not in message
    assert not out.exists()
    refused = "\n".join(r.getMessage() for r in caplog.records)
    assert "ResourceRefusedError" in refused


def test_a_template_may_load_its_own_files(tmp_path, evaluation, pdf_text):
    templates = make_templates(
        tmp_path,
        head='<link rel="stylesheet" href="theme.css">',
        body="<h1>{{ evaluation.model.name }}</h1>",
    )
    (templates / "theme.css").write_text("h1::after { content: ' THEMED' }")
    out = tmp_path / "report.pdf"
    render_pdf(evaluation, out, templates=templates)
    # the tagged PDF sets generated content apart from its element: compare the words
    assert "adult-income THEMED" in " ".join(pdf_text(out).split())


def test_failure_while_writing_leaves_no_partial_file(tmp_path, evaluation, dev_keys, monkeypatch):
    out = tmp_path / "report.pdf"
    out.write_bytes(b"previous report")

    def broken_sign(pdf, output, signing, **_):
        output.write(pdf[: len(pdf) // 2])
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(sign_module, "sign_pdf", broken_sign)
    with pytest.raises(RuntimeError, match="disk on fire"):
        render_pdf(evaluation, out, signing=dev_keys)
    assert out.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_output_folder_must_exist(tmp_path, evaluation):
    with pytest.raises(InputError, match="output folder does not exist"):
        render_pdf(evaluation, tmp_path / "missing" / "report.pdf")
    (tmp_path / "dir.pdf").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        render_pdf(evaluation, tmp_path / "dir.pdf")
    assert [p.name for p in tmp_path.iterdir()] == ["dir.pdf"]


def test_missing_pango_is_a_setup_error(tmp_path, evaluation, monkeypatch):
    import_module = weasy_module.importlib.import_module

    def no_pango(name, *args):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0': not found")
        return import_module(name, *args)  # the theme is found with importlib.resources

    monkeypatch.setattr(weasy_module.importlib, "import_module", no_pango)
    with pytest.raises(SetupError) as info:
        render_pdf(evaluation, tmp_path / "report.pdf")
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0" in str(info.value)
    assert not (tmp_path / "report.pdf").exists()


def test_default_templates_are_the_repository_theme():
    # a checkout installed editable (make test) maps report_templates/ into the package
    found = default_templates()
    assert found.samefile(REPO / "report_templates"), (
        f"the installed governance finds its theme in {found}, not in this checkout: "
        "pip install -e . here"
    )
    assert (found / "report.css").is_file()


def test_import_stays_light():
    code = (
        "import sys, governance.reporting\n"
        "heavy = {'weasyprint', 'pyhanko', 'jinja2', 'cryptography'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=REPO)


def test_drawing_the_charts_does_not_spend_the_templates_time_budget(
    tmp_path, evaluation, monkeypatch
):
    """A theme's report_max_seconds bounds its templates and layout, as when charts were stored."""
    import time

    from governance.reporting import charts
    from governance.reporting.sandbox import RenderLimits

    drawn = charts.drawn_charts

    def slow(record):
        time.sleep(2.5)
        return drawn(record)

    monkeypatch.setattr(charts, "drawn_charts", slow)
    templates = make_templates(tmp_path, body="<h1>{{ evaluation.model.name }}</h1>")
    out = tmp_path / "report.pdf"
    render_pdf(evaluation, out, templates=templates, limits=RenderLimits(max_seconds=2))
    assert out.read_bytes().startswith(b"%PDF-")
