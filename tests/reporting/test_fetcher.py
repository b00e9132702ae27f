from pathlib import Path

import pytest

from governance.reporting.fetcher import ResourceRefusedError, make_url_fetcher, resolve_resource


@pytest.fixture
def root(tmp_path: Path) -> Path:
    templates = tmp_path / "templates"
    (templates / "img").mkdir(parents=True)
    (templates / "report.css").write_text("body { color: black }")
    (templates / "img" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.css").write_text("body::before { content: 'SECRET' }")
    return templates


def test_serves_files_inside_the_template_folder(root: Path):
    assert resolve_resource((root / "report.css").as_uri(), root) == (root / "report.css").resolve()
    assert resolve_resource((root / "img" / "logo.svg").as_uri(), root) is not None


def test_data_uris_need_no_file(root: Path):
    assert resolve_resource("data:text/css,body%7Bcolor:red%7D", root) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/style.css",
        "https://example.org/font.woff2",
        "ftp://example.org/x",
        "file:///etc/passwd",
        "file://otherhost/etc/passwd",
        "javascript:alert(1)",
    ],
)
def test_refuses_network_and_foreign_files(root: Path, url: str):
    with pytest.raises(ResourceRefusedError):
        resolve_resource(url, root)


def test_refuses_dot_dot_escapes(root: Path):
    escaping = root.as_uri() + "/../secret.css"
    with pytest.raises(ResourceRefusedError, match="outside the template folder"):
        resolve_resource(escaping, root)
    encoded = root.as_uri() + "/%2E%2E/secret.css"
    with pytest.raises(ResourceRefusedError, match="outside the template folder"):
        resolve_resource(encoded, root)


def test_refuses_symlinks_leading_out(root: Path):
    (root / "linked.css").symlink_to(root.parent / "secret.css")
    with pytest.raises(ResourceRefusedError, match="outside the template folder"):
        resolve_resource((root / "linked.css").as_uri(), root)


def test_refuses_directories_and_missing_files(root: Path):
    with pytest.raises(ResourceRefusedError, match="not a regular file"):
        resolve_resource((root / "img").as_uri(), root)
    with pytest.raises(ResourceRefusedError, match="not a regular file"):
        resolve_resource((root / "missing.css").as_uri(), root)


def test_weasyprint_fetcher_refuses_and_serves(root: Path):
    fetcher = make_url_fetcher(root)
    for url in ("http://127.0.0.1:9/x.png", "file:///etc/passwd", root.as_uri() + "/../secret.css"):
        with pytest.raises(ResourceRefusedError):
            fetcher.fetch(url)
    response = fetcher.fetch((root / "report.css").as_uri())
    assert response.read() == b"body { color: black }"
    assert response.content_type == "text/css"
    response = fetcher.fetch("data:text/plain;base64,aGk=")
    assert response.read() == b"hi"
