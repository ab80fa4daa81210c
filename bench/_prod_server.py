"""`mesocare serve --prod` (gunicorn) for benchmarks: started on a free port against the
benchmark's database with the production environment of docs/operators.md, waited for until it
answers, stopped (SIGTERM to gunicorn, which took the command's pid) at the end."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    workers: int
    threads: int

    def connection(self, timeout: float = 30) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def describe(self) -> str:
        kind = f"gthread, {self.threads} threads each" if self.threads > 1 else "sync"
        return f"mesocare serve --prod: gunicorn, {self.workers} workers ({kind})"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def headers(token: str) -> dict[str, str]:
    """What a client behind the TLS proxy sends (production redirects plain HTTP)."""
    return {
        "Authorization": f"Bearer {token}",
        "X-Forwarded-Proto": "https",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


@contextmanager
def prod_server(
    database_url: str,
    *,
    workers: int,
    threads: int = 1,
    probe_path: str = "/api/v1/me",
    token: str,
    settings_module: str = "mesocare.settings",
) -> Iterator[Server]:
    """Serve with ``workers`` gunicorn workers (``threads`` > 1: the gthread worker class with
    a keep-alive longer than load_mixed's pauses, as `mesocare serve --threads` runs it).
    ``settings_module`` lets a benchmark mount its own reference view beside the product's
    URLs."""
    port = free_port()
    var = tempfile.TemporaryDirectory(prefix="mc-bench-serve-")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MESOCARE_PROD": "1",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "MESOCARE_VAR_DIR": var.name,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(ROOT)]),
        "LOG_LEVEL": "ERROR",
    }
    env.pop("GUNICORN_CMD_ARGS", None)
    log = open(Path(var.name) / "server.log", "w")  # noqa: SIM115 - closed below
    cmd = [sys.executable, "-m", "mesocare", "serve", "--prod", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", str(workers), "--threads", str(threads)]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT)
    server = Server("127.0.0.1", port, workers, threads)
    try:
        _wait_ready(server, process, probe_path, token, Path(var.name) / "server.log")
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
        var.cleanup()


def _wait_ready(
    server: Server, process: subprocess.Popen[bytes], path: str, token: str, log: Path
) -> None:
    deadline = time.monotonic() + 180  # collectstatic first: about 10 s of CPU, more when busy
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}):\n{log.read_text()}")
        try:
            conn = server.connection(timeout=5)
            conn.request("GET", path, headers=headers(token))
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                # one more request per worker so each has imported and connected
                for _ in range(server.workers * 2):
                    conn = server.connection()
                    conn.request("GET", path, headers=headers(token))
                    conn.getresponse().read()
                    conn.close()
                return
            raise RuntimeError(f"{path} answered {status}:\n{log.read_text()[-3000:]}")
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the server did not answer in time:\n{log.read_text()[-3000:]}")
