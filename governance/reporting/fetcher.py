"""The only way a report can load a resource: files inside the template folder, and ``data:``.

WeasyPrint fetches every stylesheet, image, font and attachment through a *URL fetcher*. The
default one follows ``http(s)://`` and ``file://`` anywhere, which would let a template (or a
value that reaches a template) read local files into the PDF or call out to the network. The
fetcher built here refuses everything except ``data:`` URIs and regular files whose resolved
path (symbolic links followed) lies inside the template folder, up to 32 MiB each.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from governance.reporting._weasy import import_weasyprint
from governance.reporting.pdf_limits import MAX_REPORT_BYTES, MiB

REFUSED_SCHEME = "refused to fetch {url!r}: only files in the template folder and data: URIs"
REFUSED_HOST = "refused to fetch {url!r}: file URLs must not name a host"
REFUSED_OUTSIDE = "refused to fetch {url!r}: {path} is outside the template folder {root}"
REFUSED_NOT_FILE = "refused to fetch {url!r}: {path} is not a regular file"
REFUSED_TOO_LARGE = "refused to fetch {url!r}: {path} is larger than {limit} MiB"
MAX_RESOURCE_BYTES = MAX_REPORT_BYTES
"""A resource larger than the largest report a verifier reads cannot go into a report."""


class ResourceRefusedError(ValueError):
    """A report resource was refused by the sandboxing URL fetcher."""


def resolve_resource(url: str, root: Path) -> Path | None:
    """Decide whether ``url`` may be loaded while rendering a report from ``root``.

    Parameters
    ----------
    url
        An absolute URL, as WeasyPrint passes it (relative ones are already joined to the
        template folder's ``file://`` URL).
    root
        The template folder.

    Returns
    -------
    Path or None
        The resolved file inside ``root`` for a ``file:`` URL; ``None`` for a ``data:`` URI,
        which needs no file.

    Raises
    ------
    ResourceRefusedError
        For any other scheme, a file URL with a host, a path that resolves outside ``root``
        (``..`` segments and symbolic links included), anything that is not a regular file, or
        a file larger than :data:`MAX_RESOURCE_BYTES`.
    """
    from urllib.request import url2pathname

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        return None
    if scheme != "file":
        raise ResourceRefusedError(REFUSED_SCHEME.format(url=url))
    if parts.netloc not in ("", "localhost"):
        raise ResourceRefusedError(REFUSED_HOST.format(url=url))
    base = root.resolve()
    path = Path(url2pathname(parts.path)).resolve()
    if not path.is_relative_to(base):
        raise ResourceRefusedError(REFUSED_OUTSIDE.format(url=url, path=path, root=base))
    if not path.is_file():
        raise ResourceRefusedError(REFUSED_NOT_FILE.format(url=url, path=path))
    if path.stat().st_size > MAX_RESOURCE_BYTES:
        raise ResourceRefusedError(
            REFUSED_TOO_LARGE.format(url=url, path=path, limit=MAX_RESOURCE_BYTES // MiB)
        )
    return path


def make_url_fetcher(root: Path) -> Any:
    """Build a WeasyPrint URL fetcher confined to ``root``.

    Parameters
    ----------
    root
        The template folder; the only place files may be read from.

    Returns
    -------
    weasyprint.urls.URLFetcher
        A fetcher whose ``fetch`` serves ``data:`` URIs and files inside ``root`` and raises
        :class:`ResourceRefusedError` for everything else. WeasyPrint turns that error into a
        logged warning and goes on without the resource; the refused URLs are kept in the
        fetcher's ``refused`` list, so the caller can fail (``html_to_pdf`` does).
    """
    urls = import_weasyprint().urls
    base: Any = urls.URLFetcher

    class _TemplateFolderFetcher(base):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data"}, allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
            try:
                path = resolve_resource(url, root)
            except ResourceRefusedError:
                self.refused.append(url)
                raise
            if path is None:
                # data: URIs only; the base class is limited to that protocol above.
                return super().fetch(url, headers)
            mime_type, _ = mimetypes.guess_type(path.name)
            return urls.URLFetcherResponse(
                path.as_uri(),
                body=path.read_bytes(),
                headers={"Content-Type": mime_type or "application/octet-stream"},
            )

    return _TemplateFolderFetcher()
