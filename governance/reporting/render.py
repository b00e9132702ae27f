"""Render an evaluation record to HTML (Jinja2) and to a PDF (WeasyPrint), optionally signed.

Rendering is sandboxed twice: Jinja2 runs in a :class:`~jinja2.sandbox.SandboxedEnvironment`
with autoescaping and :class:`~jinja2.StrictUndefined`, loading templates only from the template
folder; WeasyPrint loads resources only through :func:`make_url_fetcher`, which serves files
inside that folder and ``data:`` URIs and refuses the rest (no network, no other local files).

The PDF is written to a temporary file next to ``out`` and moved into place with
:func:`os.replace`, so ``out`` is either the previous file or the complete new report.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from governance.errors import InputError
from governance.reporting._weasy import import_weasyprint
from governance.reporting.fetcher import make_url_fetcher
from governance.reporting.filters import FILTERS, OUTCOME_ORDER
from governance.reporting.keys import (
    SigningConfig,
    certificate_is_dev,
    load_certificate,
    load_signing_config,
    subject_of,
)

if TYPE_CHECKING:
    import jinja2

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "report_templates"
"""The default theme, ``report_templates/`` at the top of the source tree."""
REPORT_TEMPLATE = "report.html.j2"
SUPPORTED_SCHEMA_VERSIONS = (1,)
REPORT_FILE_MODE = 0o644

NOT_A_TEMPLATE_DIR = "not a template folder (a directory holding {template})"
TEMPLATE_NOT_FOUND = "template {name!r} not found in the template folder"
TEMPLATE_OUTSIDE = "template {name!r} resolves outside the template folder"
TEMPLATE_FAILED = "the report template failed: {error}"
BAD_SCHEMA = "unsupported evaluation record schema_version {version!r} (supported: {supported})"
OUTPUT_DIR_MISSING = "the output folder does not exist"
OUTPUT_IS_DIR = "the report path is a directory"
CANNOT_WRITE = "cannot write the report: {error}"


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


@dataclass(frozen=True)
class ReportResult:
    """What :func:`render_pdf` wrote.

    Parameters
    ----------
    path
        The report file.
    sha256
        Digest of the file as written, ``sha256:<hex>``.
    signed
        Whether the report carries a PAdES signature.
    signer_subject
        The signer certificate's subject, if signed.
    dev_key
        Whether it was signed with a development key.
    """

    path: Path
    sha256: str
    signed: bool
    signer_subject: str | None
    dev_key: bool


def _templates_dir(templates: Path | None) -> Path:
    root = DEFAULT_TEMPLATES if templates is None else Path(templates)
    if not (root / REPORT_TEMPLATE).is_file():
        raise InputError(NOT_A_TEMPLATE_DIR.format(template=REPORT_TEMPLATE), path=root)
    return root.resolve()


def _environment(root: Path) -> jinja2.Environment:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    class _FolderLoader(jinja2.FileSystemLoader):
        """FileSystemLoader that also refuses symbolic links leading out of the folder."""

        def get_source(
            self, environment: jinja2.Environment, template: str
        ) -> tuple[str, str, Any]:
            source, filename, uptodate = super().get_source(environment, template)
            if not Path(filename).resolve().is_relative_to(root):
                raise jinja2.TemplateNotFound(TEMPLATE_OUTSIDE.format(name=template))
            return source, filename, uptodate

    env = SandboxedEnvironment(
        loader=_FolderLoader(str(root)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
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


def _check_schema(evaluation: Mapping[str, Any]) -> None:
    version = evaluation.get("schema_version")
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        supported = ", ".join(map(str, SUPPORTED_SCHEMA_VERSIONS))
        raise InputError(
            BAD_SCHEMA.format(version=version, supported=supported), field="schema_version"
        )


def render_html(
    evaluation: dict[str, Any],
    *,
    templates: Path | None = None,
    signer: SignerInfo | None = None,
) -> str:
    """Render an evaluation record to the report's HTML.

    Parameters
    ----------
    evaluation
        An evaluation record (``docs/evaluation-record.md``); not modified.
    templates
        A template folder holding ``report.html.j2``; default ``report_templates/``.
    signer
        The signer to name on the cover, if the report will be signed.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    InputError
        If the record's schema version is unsupported, the folder has no ``report.html.j2``,
        or a template does not parse or fails to render (naming its file and line).
    """
    import jinja2

    _check_schema(evaluation)
    root = _templates_dir(templates)
    env = _environment(root)
    try:
        template = env.get_template(REPORT_TEMPLATE)
        return template.render(
            evaluation=evaluation,
            signer=signer,
            outcome_order=OUTCOME_ORDER,
        )
    except jinja2.TemplateSyntaxError as exc:
        raise InputError(
            TEMPLATE_FAILED.format(error=exc.message),
            path=exc.filename or root / (exc.name or REPORT_TEMPLATE),
            line=exc.lineno,
        ) from exc
    except jinja2.TemplateNotFound as exc:
        raise InputError(TEMPLATE_NOT_FOUND.format(name=exc.name), path=root) from exc
    except jinja2.TemplateError as exc:
        frame = _template_frame(exc.__traceback__, root)
        path, line = frame if frame else (str(root / REPORT_TEMPLATE), None)
        raise InputError(TEMPLATE_FAILED.format(error=exc), path=path, line=line) from exc


def html_to_pdf(html: str, *, templates: Path | None = None) -> bytes:
    """Lay out report HTML as a PDF, loading resources only from the template folder.

    Parameters
    ----------
    html
        The HTML document; relative URLs resolve against the template folder.
    templates
        The template folder; default ``report_templates/``.

    Returns
    -------
    bytes
        The unsigned PDF.

    Raises
    ------
    SetupError
        If WeasyPrint or its system libraries (Pango) are missing.
    """
    root = _templates_dir(templates)
    weasyprint = import_weasyprint()
    document = weasyprint.HTML(
        string=html,
        base_url=root.as_uri() + "/",
        url_fetcher=make_url_fetcher(root),
    )
    pdf: bytes = document.write_pdf()
    return pdf


def _check_output(out: Path) -> None:
    if not out.parent.is_dir():
        raise InputError(OUTPUT_DIR_MISSING, path=out.parent)
    if out.is_dir():
        raise InputError(OUTPUT_IS_DIR, path=out)


@contextlib.contextmanager
def _atomic_output(out: Path) -> Iterator[IO[bytes]]:
    """Yield a temporary file next to ``out``; move it to ``out`` only if the block succeeds."""
    directory = out.parent
    _check_output(out)
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed or removed below
            mode="w+b", dir=directory, prefix=f".{out.name}.", suffix=".tmp", delete=False
        )
    except OSError as exc:
        raise InputError(CANNOT_WRITE.format(error=exc.strerror), path=directory) from exc
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, REPORT_FILE_MODE)
        try:
            os.replace(handle.name, out)
        except OSError as exc:
            raise InputError(CANNOT_WRITE.format(error=exc.strerror), path=out) from exc
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)
        raise


def render_pdf(
    evaluation: dict[str, Any],
    out: Path,
    *,
    templates: Path | None = None,
    signing: SigningConfig | None = None,
) -> ReportResult:
    """Render an evaluation record to a PDF report at ``out``, signed if ``signing`` is given.

    Parameters
    ----------
    evaluation
        An evaluation record (``docs/evaluation-record.md``); not modified.
    out
        The PDF to write; replaced atomically, never left half-written.
    templates
        A template folder holding ``report.html.j2``; default ``report_templates/``.
    signing
        Key material for a PAdES signature; the report is unsigned when omitted.

    Returns
    -------
    ReportResult
        The file written, its digest, and who signed it.

    Raises
    ------
    InputError
        If the record, the template folder or the output folder is unusable.
    SigningError
        If the key material is missing or unusable.
    SetupError
        If WeasyPrint's system libraries are missing.
    """
    from governance.reporting.sign import sign_pdf

    out = Path(out)
    _check_output(out)
    signer = None
    if signing is not None:
        signing = load_signing_config(
            signing.key, signing.cert, chain=signing.chain, passphrase=signing.passphrase
        )
        cert = load_certificate(signing.cert)
        signer = SignerInfo(subject=subject_of(cert), dev_key=certificate_is_dev(cert))
    html = render_html(evaluation, templates=templates, signer=signer)
    pdf = html_to_pdf(html, templates=templates)
    with _atomic_output(out) as handle:
        if signing is None:
            handle.write(pdf)
        else:
            sign_pdf(pdf, handle, signing)
        handle.flush()
        handle.seek(0)
        digest = hashlib.sha256(handle.read()).hexdigest()
    return ReportResult(
        path=out,
        sha256=f"sha256:{digest}",
        signed=signer is not None,
        signer_subject=signer.subject if signer else None,
        dev_key=signer.dev_key if signer else False,
    )
