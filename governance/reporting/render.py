"""Render an evaluation record to HTML (Jinja2) and lay it out as a PDF/A-3b (WeasyPrint).

Rendering is sandboxed twice: Jinja2 runs in a :class:`~jinja2.sandbox.SandboxedEnvironment`
with autoescaping and :class:`~jinja2.StrictUndefined`, loading templates only from the template
folder; WeasyPrint loads resources only through :func:`make_url_fetcher`, which serves files
inside that folder and ``data:`` URIs and refuses the rest (no network, no other local files).
Both are bounded by one :class:`~governance.reporting.sandbox.RenderBudget`: time, sizes,
pages and macro depth (:mod:`governance.reporting.sandbox`).

Signing, attestation and writing the files are :mod:`governance.reporting.issue`'s job.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from governance.errors import InputError
from governance.reporting._weasy import import_weasyprint
from governance.reporting.fetcher import make_url_fetcher
from governance.reporting.filters import FILTERS, OUTCOME_ORDER
from governance.reporting.view import Attachment, build_view, intervals_of, svg_data_uri
from governance.resources import default_templates

if TYPE_CHECKING:
    import jinja2

    from governance.record import EvaluationRecord
    from governance.reporting.sandbox import RenderBudget

REPORT_TEMPLATE = "report.html.j2"
REPORT_FILE_MODE = 0o644
PDF_VARIANT = "pdf/a-3b"
"""PDF/A-3, level B: archivable, and allowed to carry the evaluation as attached files."""

NOT_A_TEMPLATE_DIR = "not a template folder (a directory holding {template})"
TEMPLATE_NOT_FOUND = "template {name!r} not found in the template folder"
TEMPLATE_OUTSIDE = "template {name!r} resolves outside the template folder"
TEMPLATE_FAILED = "the report template failed: {error}"
TEMPLATE_LIMIT = "the report template went past a limit: {error}"
LAYOUT_LIMIT = "the report's layout went past a limit: {error}"
LAYOUT_FAILED = "the report cannot be laid out: {error}"
NESTED_TOO_DEEPLY = "its elements are nested too deeply"
OUTPUT_DIR_MISSING = "the output folder does not exist"
OUTPUT_IS_DIR = "the report path is a directory"
CANNOT_WRITE = "cannot write the report: {error}"
RESOURCE_REFUSED = (
    "the report tried to load {url!r}{more}: refused, only files inside the template folder "
    "and data: URIs may be loaded"
)


@dataclass(frozen=True)
class SignerInfo:
    """Who signs the report, as shown on its cover.

    Parameters
    ----------
    subject
        The signer certificate's subject (RFC 4514).
    dev_key
        Whether it is a governance development certificate.
    """

    subject: str
    dev_key: bool = False


def _templates_dir(templates: Path | None) -> Path:
    root = default_templates() if templates is None else Path(templates)
    if not (root / REPORT_TEMPLATE).is_file():
        raise InputError(NOT_A_TEMPLATE_DIR.format(template=REPORT_TEMPLATE), path=root)
    return root.resolve()


def _environment(root: Path, budget: RenderBudget) -> jinja2.Environment:
    import jinja2

    from governance.reporting.sandbox import BoundedEnvironment

    class _FolderLoader(jinja2.FileSystemLoader):
        """FileSystemLoader that also refuses symbolic links leading out of the folder."""

        def get_source(
            self, environment: jinja2.Environment, template: str
        ) -> tuple[str, str, Any]:
            source, filename, uptodate = super().get_source(environment, template)
            if not Path(filename).resolve().is_relative_to(root):
                raise jinja2.TemplateNotFound(TEMPLATE_OUTSIDE.format(name=template))
            return source, filename, uptodate

    env = BoundedEnvironment(
        budget,
        loader=_FolderLoader(str(root)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    env.filters["svg_data_uri"] = svg_data_uri
    env.bound_filters()
    env.globals["group_intervals"] = intervals_of
    return env


def _template_frame(tb: TracebackType | None, root: Path) -> tuple[str, int] | None:
    """Return the innermost traceback frame that is template code under ``root``."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2") and Path(filename).resolve().is_relative_to(root):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def render_html(
    evaluation: dict[str, Any],
    *,
    templates: Path | None = None,
    signer: SignerInfo | None = None,
    checkpoint: Mapping[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
    recorded_lineage: Mapping[str, Any] | None = None,
    budget: RenderBudget | None = None,
) -> str:
    """Render an evaluation record to the report's HTML.

    Parameters
    ----------
    evaluation
        An evaluation record of version 1 or 2 (``docs/evaluation-record.md``), as stored;
        not modified. Its charts are drawn now, from the findings' evidence
        (:mod:`governance.reporting.charts`).
    templates
        A template folder holding ``report.html.j2``; default the shipped theme
        (:func:`governance.resources.default_templates`).
    signer
        The signer to name on the cover, if the report will be signed.
    checkpoint
        The audit store's latest checkpoint, shown with the evidence.
    attachments
        The files the PDF will embed, listed with their digests.
    recorded_lineage
        The model's upstream lineage as the audit store recorded it, if looked up.
    budget
        What rendering may cost (:class:`~governance.reporting.sandbox.RenderBudget`, whose
        clock is already running); default: a new one with the default limits. Pass the same
        budget to :func:`html_to_pdf` to bound rendering and layout together.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    InputError
        If the record's schema version is not one governance reads, the folder has no
        ``report.html.j2``, a template does not parse or fails to render, or goes past a limit
        of the budget (time, size of a value or of the HTML, macro depth), naming its file and
        line.
    VerificationFailed
        If the record is not one governance wrote (a field missing, unknown or mistyped).
    """
    return render_charted(
        charted(evaluation),
        templates=templates,
        signer=signer,
        checkpoint=checkpoint,
        attachments=attachments,
        recorded_lineage=recorded_lineage,
        budget=budget,
    )


@dataclass(frozen=True)
class Charted:
    """A record ready to render: parsed, and as templates read it (its charts drawn)."""

    record: EvaluationRecord
    """The record, typed."""
    shown: dict[str, Any]
    """Its JSON form, each finding with ``charts``: ``[{"title", "svg"}]`` drawn from its
    evidence (:mod:`governance.reporting.charts`; a version-1 record's SVG replaced)."""


def charted(evaluation: Mapping[str, Any]) -> Charted:
    """Parse a stored record and draw every finding's charts now.

    Drawing is governance's own bounded work, done before a template's budget starts.

    Parameters
    ----------
    evaluation
        An evaluation record of version 1 or 2, as stored; not modified.

    Returns
    -------
    Charted
        The typed record and the form templates read.

    Raises
    ------
    InputError
        If the record's schema version is not one governance reads.
    VerificationFailed
        If the record is not one governance wrote (a field missing, unknown or mistyped).
    """
    from governance.record import read_record
    from governance.reporting.charts import with_charts

    record = read_record(evaluation)
    return Charted(record, with_charts(record))


def render_charted(
    ready: Charted,
    *,
    templates: Path | None = None,
    signer: SignerInfo | None = None,
    checkpoint: Mapping[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
    recorded_lineage: Mapping[str, Any] | None = None,
    approvals: Mapping[str, Any] | None = None,
    budget: RenderBudget | None = None,
) -> str:
    """Render a record :func:`charted` already to the report's HTML (as :func:`render_html`)."""
    return render_template(
        REPORT_TEMPLATE,
        {
            "evaluation": ready.shown,
            "signer": signer,
            "outcome_order": OUTCOME_ORDER,
            "report": build_view(
                ready.record,
                ready.shown,
                checkpoint=checkpoint,
                attachments=attachments,
                recorded_lineage=recorded_lineage,
                approvals=approvals,
            ),
        },
        templates=templates,
        budget=budget,
    )


def render_template(
    name: str,
    context: Mapping[str, Any],
    *,
    templates: Path | None = None,
    budget: RenderBudget | None = None,
) -> str:
    """Render the template ``name`` of the template folder, sandboxed and bounded by ``budget``.

    Raises
    ------
    InputError
        If the template does not parse, fails to render or goes past a limit of the budget,
        naming its file and line.
    """
    import jinja2

    from governance.reporting.sandbox import RenderBudget, RenderLimitError

    root = _templates_dir(templates)
    budget = budget or RenderBudget()
    env = _environment(root, budget)
    try:
        template = env.get_template(name)
        return "".join(_capped(template.generate(**context), budget))
    except RenderLimitError as exc:
        frame = _template_frame(exc.__traceback__, root)
        path, line = frame if frame else (str(root / name), None)
        raise InputError(TEMPLATE_LIMIT.format(error=exc.message), path=path, line=line) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(
            TEMPLATE_FAILED.format(error=exc.message),
            path=exc.filename or root / (exc.name or name),
            line=exc.lineno,
        ) from exc
    except jinja2.TemplateNotFound as exc:
        raise InputError(TEMPLATE_NOT_FOUND.format(name=exc.name), path=root) from exc
    except jinja2.TemplateError as exc:
        frame = _template_frame(exc.__traceback__, root)
        path, line = frame if frame else (str(root / name), None)
        raise InputError(TEMPLATE_FAILED.format(error=exc), path=path, line=line) from exc
    except Exception as exc:  # {{ 1/0 }}, {{ "a" + 1 }}, a filter given the wrong value
        frame = _template_frame(exc.__traceback__, root)
        if frame is None:  # not raised by template code: our own bug, an internal error
            raise
        error = f"{type(exc).__name__}: {exc}"
        raise InputError(TEMPLATE_FAILED.format(error=error), path=frame[0], line=frame[1]) from exc


def _capped(chunks: Iterator[str], budget: RenderBudget) -> Iterator[str]:
    """The pieces of HTML a template yields, each counted against the budget's HTML caps.

    Going past a cap is raised inside the template, where it yielded the piece, so that the
    error names the template's file and line.
    """
    from governance.reporting.sandbox import RenderLimitError

    for chunk in chunks:
        try:
            budget.add_html(chunk)
        except RenderLimitError as exc:
            throw = getattr(chunks, "throw", None)  # Template.generate is a generator
            if throw is not None:
                throw(exc)
            raise
        yield chunk


def html_to_pdf(
    html: str,
    *,
    templates: Path | None = None,
    attachments: Sequence[Attachment] = (),
    created: dt.datetime | None = None,
    archival: bool = True,
    budget: RenderBudget | None = None,
) -> bytes:
    """Lay out report HTML as a PDF/A-3b, loading resources only from the template folder.

    Parameters
    ----------
    html
        The HTML document; relative URLs resolve against the template folder.
    templates
        The template folder; default the shipped theme
        (:func:`governance.resources.default_templates`).
    attachments
        Files to embed as PDF/A-3 associated files (``/AF``, with their relationship).
    created
        The attachments' creation and modification time (default: now); pass the
        evaluation's time for reproducible output.
    archival
        Write PDF/A-3b (the default); ``False`` writes a plain PDF (for comparison only).
    budget
        What the layout may cost: its deadline and page cap are checked at every page
        WeasyPrint lays out; default: a new budget with the default limits.

    Returns
    -------
    bytes
        The unsigned PDF.

    Raises
    ------
    InputError
        If the document tried to load anything the sandbox refuses (a URL, a file outside the
        template folder), went past the budget's deadline or page cap, or nests too deeply to
        be laid out: no PDF is returned.
    SetupError
        If WeasyPrint or its system libraries (Pango) are missing.
    """
    from governance.reporting.html_depth import too_deep
    from governance.reporting.sandbox import RenderBudget, RenderLimitError, layout_watched

    root = _templates_dir(templates)
    budget = budget or RenderBudget()
    if too_deep(html):  # before WeasyPrint's parser, which slows down sharply with depth
        raise InputError(LAYOUT_FAILED.format(error=NESTED_TOO_DEEPLY), path=root / REPORT_TEMPLATE)
    weasyprint = import_weasyprint()
    fetcher = make_url_fetcher(root)
    document = weasyprint.HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=fetcher)
    when = (created or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None)
    files = [
        weasyprint.Attachment(
            file_obj=_named_bytes(item.data),
            url_fetcher=fetcher,
            name=item.name,
            description=item.description,
            relationship=item.relationship,
            created=when,
            modified=when,
        )
        for item in attachments
    ]
    options: dict[str, Any] = {"attachments": files}
    if archival:
        options["pdf_variant"] = PDF_VARIANT
        options["pdf_tags"] = True  # a tagged PDF: reading order and structure for assistive tools
    try:
        with layout_watched(budget):
            laid_out = document.render(**options)
            budget.check_pages(len(laid_out.pages))
            pdf: bytes = laid_out.write_pdf(**options, finisher=_one_af_entry_per_file)
    except RenderLimitError as exc:
        raise InputError(
            LAYOUT_LIMIT.format(error=exc.message), path=root / REPORT_TEMPLATE
        ) from exc
    except RecursionError as exc:  # elements nested thousands deep
        raise InputError(
            LAYOUT_FAILED.format(error=NESTED_TOO_DEEPLY),
            path=root / REPORT_TEMPLATE,
        ) from exc
    if fetcher.refused:
        more = len(set(fetcher.refused)) - 1
        raise InputError(
            RESOURCE_REFUSED.format(
                url=fetcher.refused[0], more=f" (and {more} more)" if more else ""
            ),
            path=root / REPORT_TEMPLATE,
        )
    return pdf


def _one_af_entry_per_file(document: Any, pdf: Any) -> None:
    """List each attached file once in the catalog's ``/AF``.

    WeasyPrint's PDF/A-3 step adds every file twice: once from the embedded-files name tree,
    once as a file specification.
    """
    entries = pdf.catalog.get("AF")
    if entries:
        entries[:] = list(dict.fromkeys(entries))


def _named_bytes(data: bytes) -> IO[bytes]:
    return io.BytesIO(data)


def check_output(out: Path) -> None:
    """Refuse an output path whose folder is missing or that is a directory."""
    if not out.parent.is_dir():
        raise InputError(OUTPUT_DIR_MISSING, path=out.parent)
    if out.is_dir():
        raise InputError(OUTPUT_IS_DIR, path=out)
