"""A throwaway PostgreSQL cluster for the store tests and the load benchmark.

`SALES_OPERATOR_TEST_DATABASE_URL` names a server to use (`.ci/run` exports it). Without it,
`start_cluster()` runs `initdb` and `postgres` from PATH or `/usr/lib/postgresql/*/bin` into a
temporary folder, listening on 127.0.0.1 on a free port (as the `postgres` user when run as
root: PostgreSQL refuses to run as root). `fresh_schema(dsn)` gives each test a schema of its
own, dropped afterwards.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV = "SALES_OPERATOR_TEST_DATABASE_URL"
"""A PostgreSQL server for the tests (a superuser's DSN on a scratch database)."""


def server_plan(env: dict[str, str], have_psycopg: bool, have_initdb: bool) -> tuple[str, str]:
    """Decide how the store tests get a server: `(use|start|skip|fail, reason)`.

    The named server wins; else a throwaway cluster when `initdb` is installed; else the tests
    skip, except under CI (`CI` set), where a missing server or driver is a failure.
    """
    ci = bool(env.get("CI"))
    if not have_psycopg:
        return ("fail" if ci else "skip", "psycopg is not installed (the postgres extra)")
    if env.get(ENV):
        return "use", env[ENV]
    if have_initdb:
        return "start", "initdb"
    return ("fail" if ci else "skip", f"no PostgreSQL: set {ENV} or install postgresql (initdb)")


def find_bin(name: str) -> str | None:
    """Return the path of a PostgreSQL program, or None."""
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", "postgres", "--", *cmd]


@contextmanager
def start_cluster() -> Iterator[str]:
    """Run a private PostgreSQL on 127.0.0.1 for the block; yield its DSN."""
    initdb, postgres = find_bin("initdb"), find_bin("postgres")
    if initdb is None or postgres is None:
        raise FileNotFoundError("initdb/postgres not found on PATH or in /usr/lib/postgresql")
    root = Path(tempfile.mkdtemp(prefix="so-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    subprocess.run(
        _as_postgres([initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    server = subprocess.Popen(
        _as_postgres(
            [
                postgres,
                "-D",
                str(data),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-k",
                str(root),
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        _wait_ready(dsn, server)
        yield dsn
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(dsn: str, server: subprocess.Popen[bytes]) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"postgres exited with status {server.returncode}")
        try:
            psycopg.connect(dsn, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def with_schema(dsn: str, schema: str) -> str:
    """Return `dsn` with `search_path` set to `schema`."""
    sep = "&" if "?" in dsn else "?"
    return f"{dsn}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def fresh_schema(dsn: str) -> Iterator[str]:
    """Create an empty schema for the block; yield a DSN that uses it; drop it afterwards."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_schema(dsn, schema)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '10s'")
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
