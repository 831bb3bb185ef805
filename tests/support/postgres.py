"""A throwaway PostgreSQL cluster on 127.0.0.1 for the tests, started with initdb/pg_ctl."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(Exception):
    pass


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found and Path(found).resolve().parent.name == "bin":
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
        if candidates:
            return Path(candidates[0])
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if not candidates:
        raise PostgresUnavailable(
            "PostgreSQL server binaries not found (apt-get install postgresql)"
        )
    return Path(candidates[0])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class PostgresCluster:
    host: str
    port: int
    user: str
    bin_dir: Path

    def create_database(self, name: str, template: str | None = None) -> str:
        """An empty database, or with `template` a copy of that one (its schema and rows)."""
        copy_of = ["-T", template] if template else []
        subprocess.run(
            [
                str(self.bin_dir / "createdb"),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                self.user,
                *copy_of,
                name,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{database}"


@contextmanager
def running_cluster() -> Iterator[PostgresCluster]:
    """initdb refuses to run as root, so as root the cluster belongs to the postgres user."""
    bin_dir = _bin_dir()
    as_root = os.geteuid() == 0
    owner = "postgres" if as_root else pwd.getpwuid(os.geteuid()).pw_name
    if as_root:
        try:
            pwd.getpwnam(owner)
        except KeyError:
            raise PostgresUnavailable("running as root but there is no postgres user") from None
    workdir = Path(tempfile.mkdtemp(prefix="storedesk-pg-"))
    data = workdir / "data"
    if as_root:
        shutil.chown(workdir, user=owner)
    prefix = ["runuser", "-u", owner, "--"] if as_root else []
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", owner, "-A", "trust", "-E", "UTF8")
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir} -c fsync=off -c max_connections=200"
    )
    run(
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(workdir / "log"),
        "-w",
        "start",
    )
    try:
        yield PostgresCluster("127.0.0.1", port, owner, bin_dir)
    finally:
        subprocess.run(
            [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(workdir, ignore_errors=True)
