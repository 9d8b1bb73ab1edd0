"""A real PostgreSQL server for the tests, started in a temporary directory on 127.0.0.1.

The binaries are looked up on PATH and in Debian's /usr/lib/postgresql/<version>/bin (where
the `postgresql` package puts them, off PATH). PostgreSQL refuses to run as root, so when the
tests run as root (CI does) initdb and the server run as the unprivileged `postgres` user
(created by Debian's package) or, failing that, `nobody`, in a directory that user owns.

Each test gets a database of its own (`new_database`), dropped when the test ends.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "postgres"
_NAMES = itertools.count(1)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries on this machine (the reason says where they were looked for)."""


def find_bin_dir() -> Path:
    """The folder holding initdb and pg_ctl: PATH first, then the newest Debian version."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise PostgresUnavailable(
        "PostgreSQL is not installed (no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin); "
        "install Debian's `postgresql` package to run the PostgreSQL tests"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged user to run the server as, or None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresUnavailable("running as root and neither a `postgres` nor a `nobody` user exists")


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path
    port: int = 0
    user: pwd.struct_passwd | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.root / "server.log"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _cmd(self, *args: str) -> list[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.user is None:
            return command
        # setpriv (util-linux, on every Debian) switches user without a login shell or PAM.
        return [
            "setpriv",
            f"--reuid={self.user.pw_uid}",
            f"--regid={self.user.pw_gid}",
            "--clear-groups",
            "--",
            *command,
        ]

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            self._cmd(*args),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
            env={**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"},
        )
        if result.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{args[0]} failed ({result.returncode}): {result.stderr.strip()}\n{tail}"
            )

    def start(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                "-c unix_socket_directories=''",
                # A throwaway server: durability is not what the tests check.
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            ]
        )
        for _attempt in range(3):  # another process may take the free port before we do
            self.port = free_port()
            try:
                self._run(
                    "pg_ctl",
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-o",
                    f"-p {self.port} {options}",
                )
                return
            except RuntimeError:
                if "could not bind" not in self.log.read_text(errors="replace"):
                    raise
        raise RuntimeError(f"PostgreSQL found no free port; see {self.log}")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "stop", "-m", "immediate", "-D", str(self.data))
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql)

    def new_database(self) -> str:
        """A new, empty database; returns its SQLAlchemy URL."""
        name = f"coach_test_{os.getpid()}_{next(_NAMES)}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        # FORCE ends the connections a test's engines still hold in their pools.
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_server() -> PostgresServer:
    """initdb + pg_ctl start in a new temporary directory; raises PostgresUnavailable."""
    bin_dir = find_bin_dir()
    user = _run_as()
    # Not under pytest's tmp folder: that is private to root, and the server user must reach it.
    root = Path(tempfile.mkdtemp(prefix="coach-pg-"))
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    server = PostgresServer(bin_dir=bin_dir, root=root, user=user)
    try:
        server.start()
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server
