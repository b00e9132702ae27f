"""Object-store paths and Arrow datasets: a real S3 endpoint on loopback (moto), local folders.

The objects are listed and scanned through pyarrow's S3 filesystem (endpoint and credentials
from the environment), and counted by DuckDB with the findings of the local file.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MANIFEST, CliRun, synthetic_frame
from tests.engines.test_check import check, entries, findings, manifest

BUCKET = "decisions"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 (a real HTTP endpoint, not a mock of boto)."""
    server_module = pytest.importorskip("moto.server")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # its request lines go to stderr
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Credentials and endpoint in the environment; an empty bucket; its pyarrow filesystem."""
    import pyarrow.fs as pafs

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    filesystem = pafs.S3FileSystem(endpoint_override=endpoint, allow_bucket_creation=True)
    filesystem.create_dir(BUCKET)
    for info in filesystem.get_file_info(pafs.FileSelector(BUCKET, recursive=True)):
        if info.type == pafs.FileType.File:
            filesystem.delete_file(info.path)
    return filesystem


def upload(filesystem: Any, frame: Any, key: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), key, filesystem=filesystem)


def test_parquet_objects_on_s3_give_the_local_files_findings(
    run_cli: CliRun, tmp_path: Path, s3: Any
) -> None:
    frame = synthetic_frame(3000, seed=31)
    frame.to_parquet(tmp_path / "data.parquet")
    _, local, _ = check(run_cli, tmp_path, manifest("arrow", "data.parquet"))
    upload(s3, frame.iloc[:1800], f"{BUCKET}/log/part-0.parquet")
    upload(s3, frame.iloc[1800:], f"{BUCKET}/log/part-1.parquet")
    upload(s3, frame.iloc[:10], f"{BUCKET}/other/part-0.parquet")  # not matched by the glob
    s3.open_output_stream(f"{BUCKET}/log/_SUCCESS").close()  # a marker, not data
    uri = f"s3://{BUCKET}/log/*.parquet"
    code, remote, err = check(run_cli, tmp_path, MANIFEST.replace("path: data.csv", f"path: {uri}"))
    assert (code, err) == (local["exit_code"], "")
    assert findings(remote) == findings(local)
    data = remote["artifacts"]["data"]
    assert data["rows"] == 3000 and data["path"] == uri
    snapshot = data["engine"]["snapshot"]
    assert [f["path"] for f in snapshot["files"]] == [
        f"s3://{BUCKET}/log/part-0.parquet",
        f"s3://{BUCKET}/log/part-1.parquet",
    ]
    sizes = [s3.get_file_info(f["path"].removeprefix("s3://")).size for f in snapshot["files"]]
    assert [f["size"] for f in snapshot["files"]] == sizes
    assert all(f["modified"] for f in snapshot["files"]) and data["digest"] == snapshot["digest"]
    assert not list(tmp_path.glob("**/part-*.parquet"))  # nothing downloaded
    from governance.lineage import complete_event
    from tests.lineage.spec import validate_event

    event = complete_event(remote)
    validate_event(event)
    [dataset] = [d for d in event["inputs"] if d["namespace"] == f"s3://{BUCKET}"]
    assert dataset["name"] == "log/*.parquet"
    upload(s3, frame.iloc[1800:2000], f"{BUCKET}/log/part-1.parquet")  # rewritten in place
    _, again, _ = check(run_cli, tmp_path, MANIFEST.replace("path: data.csv", f"path: {uri}"))
    assert again["artifacts"]["data"]["digest"] != data["digest"]


def test_a_filter_on_s3_objects_is_pushed_to_the_scan(
    run_cli: CliRun, tmp_path: Path, s3: Any
) -> None:
    frame = synthetic_frame(3000, seed=32)
    frame[frame["age"] >= 40].to_parquet(tmp_path / "older.parquet")
    _, local, _ = check(run_cli, tmp_path, manifest("arrow", "older.parquet"))
    upload(s3, frame, f"{BUCKET}/log/all.parquet")
    text = MANIFEST.replace("path: data.csv", f"path: s3://{BUCKET}/log/all.parquet")
    text = text.replace("\ndata:\n", "\ndata:\n  where: age >= 40\n", 1)
    _, remote, err = check(run_cli, tmp_path, text)
    assert err == "" and findings(remote) == findings(local)
    assert remote["artifacts"]["data"]["rows"] == int((frame["age"] >= 40).sum())


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("s3://no-such-bucket/log/*.parquet", "cannot list the objects"),
        (f"s3://{BUCKET}/log/*.parquet", "no data object matches"),
        (f"s3://{BUCKET}/log/missing.parquet", "no data object matches"),
        ("unreachable", "cannot list the objects"),
    ],
)
def test_a_missing_bucket_no_objects_or_no_endpoint_is_one_line_and_nothing_is_recorded(
    run_cli: CliRun,
    tmp_path: Path,
    s3: Any,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    expected: str,
) -> None:
    if path == "unreachable":
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
        path = f"s3://{BUCKET}/log/*.parquet"
    code, record, err = check(
        run_cli, tmp_path, MANIFEST.replace("path: data.csv", f"path: {path}")
    )
    assert code == 2 and record is None
    assert f"duckdb: {path}: {expected}" in err, err
    assert len(err.strip().splitlines()) <= 2, err
    assert entries(tmp_path) == 0


def test_a_local_hive_partitioned_folder_is_read_as_one_dataset(
    run_cli: CliRun, tmp_path: Path
) -> None:
    frame = synthetic_frame(3000, seed=33)
    frame.to_parquet(tmp_path / "data.parquet")
    _, local, _ = check(run_cli, tmp_path, manifest("arrow", "data.parquet"))
    for sex, part in frame.groupby("sex"):
        folder = tmp_path / "decisions" / f"sex={sex}"
        folder.mkdir(parents=True)
        part.drop(columns="sex").to_parquet(folder / "part-0.parquet")
    (tmp_path / "decisions" / "_SUCCESS").write_text("")
    text = MANIFEST.replace("path: data.csv", "path: decisions\n  format: parquet")
    code, folder_record, err = check(run_cli, tmp_path, text)
    assert (code, err) == (local["exit_code"], "")
    assert findings(folder_record) == findings(local)
    snapshot = folder_record["artifacts"]["data"]["engine"]["snapshot"]
    assert snapshot["path"] == "decisions" and snapshot["files"] == 3


def test_a_file_uri_is_the_local_file(run_cli: CliRun, tmp_path: Path) -> None:
    synthetic_frame(1500, seed=34).to_parquet(tmp_path / "data.parquet")
    _, local, _ = check(run_cli, tmp_path, manifest("arrow", "data.parquet"))
    uri = (tmp_path / "data.parquet").as_uri()
    for engine in ("arrow", "duckdb"):
        _, found, err = check(run_cli, tmp_path, manifest(engine, uri))
        assert err == "" and findings(found) == findings(local)
        assert found["artifacts"]["data"]["path"] == "data.parquet"  # no machine path
