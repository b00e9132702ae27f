"""A data.path URI never carries credentials: they come from the environment or the store's config.

A manifest is committed to a repository and its data path lands in the record, the lineage
events and the report; a key in it would leak to every reader. Such a URI is refused when the
manifest loads, and the message names the part at fault, never its value.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.errors import ManifestError
from governance.manifest import load_manifest
from governance.uris import uri_problem
from tests.conftest import MANIFEST, CliRun
from tests.engines.test_check import check, entries

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzEXAMPLEKEY"


@pytest.mark.parametrize(
    ("uri", "part"),
    [
        (f"s3://AKIAIOSFODNN7EXAMPLE:{SECRET}@bucket/log/*.parquet", "a password"),
        ("s3://AKIAIOSFODNN7EXAMPLE@bucket/log/x.parquet", "a user name"),
        (f"s3://bucket/log/*.parquet?region=us-east-1&secret_key={SECRET}", "'secret_key'"),
        (f"s3://bucket/x.parquet?access_key=AKIA&session_token={SECRET}", "'access_key'"),
        (f"gs://bucket/x.parquet?token={SECRET}", "'token'"),
        (f"abfs://container@account.dfs.core.windows.net/x.parquet?sv=1&sig={SECRET}", "'sig'"),
        (f"abfs://account:{SECRET}@container/x.parquet", "a password"),
        (f"hdfs://user:{SECRET}@namenode:8020/x.parquet", "a password"),
    ],
)
def test_a_uri_with_credentials_is_refused_without_repeating_them(
    run_cli: CliRun, tmp_path: Path, uri: str, part: str
) -> None:
    text = MANIFEST.replace("path: data.csv", f"path: '{uri}'")
    (tmp_path / "manifest.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as refused:
        load_manifest(tmp_path / "manifest.yaml")
    message = str(refused.value)
    assert "carries credentials" in message and part in message
    assert SECRET not in message and "AKIAIOSFODNN7EXAMPLE" not in message
    code, record, err = check(run_cli, tmp_path, text)
    assert code == 2 and record is None and SECRET not in err
    assert "manifest.yaml:" in err and "data.path" in err
    assert entries(tmp_path) == 0


@pytest.mark.parametrize(
    "uri",
    [
        "s3://bucket/log/*.parquet",
        "s3://bucket/log/x.parquet?region=eu-west-1&endpoint_override=minio.internal:9000",
        "abfs://container@account.dfs.core.windows.net/log/x.parquet",
        "hdfs://namenode:8020/warehouse/log/x.parquet",
        "gs://bucket/log/part-*.parquet",
    ],
)
def test_a_uri_without_credentials_is_accepted(uri: str) -> None:
    assert uri_problem(uri) is None


def test_an_unknown_scheme_and_a_model_manifest_are_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.yaml").write_text(
        MANIFEST.replace("path: data.csv", "path: http://example.org/x.parquet"), encoding="utf-8"
    )
    with pytest.raises(ManifestError, match=r"http:// is not a filesystem the engines read"):
        load_manifest(tmp_path / "manifest.yaml")
    text = MANIFEST.replace("path: data.csv", "path: s3://bucket/x.parquet")
    (tmp_path / "manifest.yaml").write_text(
        text.replace("\ndata:\n", "\nmodel:\n  path: model.skops\ndata:\n", 1), encoding="utf-8"
    )
    with pytest.raises(ManifestError, match=r"a URI is read by the duckdb engine .* not arrow"):
        load_manifest(tmp_path / "manifest.yaml")


def test_a_file_uri_stays_inside_the_allowed_folders(tmp_path: Path) -> None:
    (tmp_path / "manifest.yaml").write_text(
        MANIFEST.replace("path: data.csv", "path: file:///etc/passwd"), encoding="utf-8"
    )
    with pytest.raises(ManifestError, match="data path"):
        load_manifest(tmp_path / "manifest.yaml")
