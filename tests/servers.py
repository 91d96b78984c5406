"""Throwaway Redis and PostgreSQL servers that a fault test may stop and start again.

Each runs on its own free port in its own directory, never the machine's shared servers (Redis
6379, PostgreSQL 5432, which other people's tests use). Every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(predicate, what: str, timeout: float = 30, logs=lambda: "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}\n{logs()}")


class RedisServer:
    """redis-server with an append-only file fsynced on every write: a SIGKILL loses nothing."""

    def __init__(self, directory: Path):
        if not shutil.which("redis-server"):
            pytest.skip("needs redis-server")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self.directory),
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.directory / "redis.pid"),
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            check=True,
            timeout=10,
        )
        wait_until(lambda: self.cli("ping") == "PONG", f"Redis on port {self.port}", logs=self.log)
        return self

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            ["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True, timeout=10
        )
        return result.stdout.strip()

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: no goodbye to the clients."""
        pid = int((self.directory / "redis.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not port_open(self.port), f"Redis on port {self.port} to stop")

    def stop(self) -> None:
        if port_open(self.port):
            self.cli("shutdown", "nosave")
            wait_until(lambda: not port_open(self.port), f"Redis on port {self.port} to stop")

    def log(self) -> str:
        path = self.directory / "redis.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


class PostgresServer:
    """A PostgreSQL 15 cluster of its own (initdb into a temporary directory), run as the postgres user."""

    def __init__(self):
        if os.geteuid() != 0 or not (PG_BIN / "initdb").exists() or not shutil.which("runuser"):
            pytest.skip("needs root, runuser and PostgreSQL 15's initdb (to run a server as postgres)")
        self.directory = Path(tempfile.mkdtemp(prefix="empact-faults-pg-", dir="/tmp"))
        shutil.chown(self.directory, "postgres", "postgres")
        self.data = self.directory / "data"
        self.port = free_port()

    def url(self, database: str = "empact") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}?connect_timeout=2"

    def _as_postgres(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.directory,
        )

    def init(self) -> PostgresServer:
        done = self._as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return self

    def start(self) -> PostgresServer:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        done = self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.directory / "log"),
            "-w",
            "start",
        )
        assert done.returncode == 0, done.stdout + done.stderr + self.log()
        return self

    def stop(self, mode: str = "fast") -> None:
        """`fast`: roll back, disconnect every client, stop — what `systemctl stop postgresql` does."""
        done = self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
        assert done.returncode == 0, done.stdout + done.stderr

    def createdb(self, name: str) -> None:
        done = self._as_postgres(
            str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def log(self) -> str:
        path = self.directory / "log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def remove(self) -> None:
        if port_open(self.port):
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


def worker_database_url() -> str:
    """The URL of the database pytest-django set up (a worker process must write into it)."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class CeleryProcesses:
    """`celery worker` and `celery beat` processes of the project, each with its own log file.

    ``supervise`` plays systemd's ``Restart=always`` (or compose's ``restart: unless-stopped``):
    a thread starts the process again a second after it exits, and counts the restarts.
    """

    def __init__(self, directory: Path, env: dict):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
        self.processes: list[tuple[subprocess.Popen, object, Path]] = []
        self.supervisors: list[Supervisor] = []

    def start(self, *args: str, name: str) -> subprocess.Popen:
        path = self.directory / f"{name}-{len(self.processes)}.log"
        log = open(path, "wb")  # noqa: SIM115 - closed in stop_all
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "empact_tracker", *args],
            cwd=Path(__file__).resolve().parent.parent,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append((process, log, path))
        return process

    def worker(self, *extra: str, name: str = "worker") -> subprocess.Popen:
        return self.start(
            "worker",
            "--loglevel",
            "INFO",
            "--hostname",
            f"{name}-{uuid.uuid4().hex[:6]}@%h",
            *extra,
            name=name,
        )

    def beat(self) -> subprocess.Popen:
        schedule = self.directory / "beat-schedule"
        return self.start("beat", "--loglevel", "INFO", "--schedule", str(schedule), name="beat")

    def supervise(self, start) -> Supervisor:
        supervisor = Supervisor(start)
        self.supervisors.append(supervisor)
        return supervisor

    def logs(self, tail: int = 6000) -> str:
        return "\n".join(
            f"--- {path.name} ---\n{path.read_text(errors='replace')[-tail:]}"
            for _, _, path in self.processes
        )

    def stop_all(self) -> None:
        for supervisor in self.supervisors:
            supervisor.stop()
        for process, log, _ in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            log.close()


class Supervisor:
    """Restart=always, RestartSec=1: start the process again whenever it exits."""

    def __init__(self, start):
        self._start = start
        self._stopping = threading.Event()
        self.restarts = 0
        self.exit_codes: list[int] = []
        self.process = start()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stopping.is_set():
            code = self.process.poll()
            if code is not None and not self._stopping.is_set():
                self.exit_codes.append(code)
                time.sleep(1)
                if self._stopping.is_set():
                    return
                self.restarts += 1
                self.process = self._start()
            time.sleep(0.2)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
