"""A throwaway local PostgreSQL server for tests.

``PostgresServer.start()`` finds ``initdb`` and ``pg_ctl`` (on PATH or in
``/usr/lib/postgresql/*/bin``), initialises a cluster in a fresh temporary folder, starts it on
127.0.0.1 at a free port with its socket in that folder, and ``stop()`` shuts it down and removes
the folder. PostgreSQL refuses to run as root, so as root the server runs as the ``postgres``
user (through ``runuser``) with the folder owned by it.

Use the ``postgres_server`` fixture (session scope) and ``postgres_url`` (a new empty database
per test), for example by importing them into a ``conftest.py``::

    from tests.pg import postgres_server, postgres_url  # noqa: F401
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

USER = "governance"
PASSWORD = "s3cret-pw"
START_TIMEOUT_S = 60


class PostgresUnavailable(Exception):
    """No usable PostgreSQL binaries or user on this machine: the tests are skipped."""


class PostgresStartFailed(Exception):
    """The binaries are there but the server did not start: the tests fail."""


def find_bindir() -> Path:
    """Return the folder holding initdb and pg_ctl, newest version first."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda path: [int(p) if p.isdigit() else 0 for p in Path(path).parent.name.split(".")],
        reverse=True,
    )
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise PostgresUnavailable("no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    """A running throwaway cluster; superuser ``governance`` with a password on TCP."""

    bindir: Path
    root: Path
    port: int = 0
    run_as: str | None = None
    databases: list[str] = field(default_factory=list)

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @classmethod
    def start(cls) -> PostgresServer:
        bindir = find_bindir()
        run_as = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no postgres user") from None
            if shutil.which("runuser") is None:
                raise PostgresUnavailable("running as root and runuser is missing")
            run_as = "postgres"
        root = Path(tempfile.mkdtemp(prefix="gov-pg-"))
        if run_as is not None:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        server = cls(bindir=bindir, root=root, run_as=run_as)
        try:
            server._initdb()
            server._start()
        except BaseException:
            server.stop()
            raise
        return server

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
            cwd=self.root,
            check=False,
        )
        if result.returncode != 0:
            raise PostgresStartFailed(
                f"{args[0]} failed ({result.returncode}): {result.stderr.strip() or result.stdout}"
            )
        return result

    def _initdb(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        if self.run_as is not None:
            owner = pwd.getpwnam(self.run_as)
            os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            USER,
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    def _start(self) -> None:
        for _attempt in range(3):
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -c port={self.port} -k {self.root} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                self._run(
                    "pg_ctl",
                    "-D",
                    str(self.datadir),
                    "-l",
                    str(self.root / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(START_TIMEOUT_S),
                    "start",
                )
                return
            except PostgresStartFailed:
                log = self.root / "server.log"
                if _attempt == 2:
                    text = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                    raise PostgresStartFailed(f"pg_ctl start failed: {text}") from None

    def url(self, database: str = "postgres", *, password: str = PASSWORD) -> str:
        return f"postgresql+psycopg://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg
        from psycopg import sql

        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=USER,
            password=PASSWORD,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.databases.append(name)
        return name

    def stop(self) -> None:
        if self.datadir.joinpath("postmaster.pid").exists():
            with contextlib.suppress(PostgresStartFailed, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A local PostgreSQL server for the whole session; skips if none can be started."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'governance[postgres]')")
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as exc:
        pytest.skip(f"no local PostgreSQL server: {exc}")
    except PostgresStartFailed as exc:
        pytest.fail(f"could not start the local PostgreSQL server: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of a new, empty database on the session's server."""
    return postgres_server.url(postgres_server.create_database())
