"""`mesocare serve --prod` as an operator starts it: production settings from the documented
environment only, static files collected, gunicorn serving pages and whitenoise the assets."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from mesocare.cli import gunicorn_argv

VENDOR = Path(__file__).parents[2] / "mesocare" / "web" / "static" / "mesocare" / "vendor"
START_TIMEOUT = 50.0  # collectstatic (brotli) is most of it; the whole test stays under 60 s


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    # Through the TLS proxy production expects (X-Forwarded-Proto), else SSL redirect answers.
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # a hang guard only
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def production_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    # Only what README "Production" and docs/operators.md name, nothing of the test session.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "SECRET_KEY": "a-long-random-production-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'mesocare.sqlite3'}",
        "MESOCARE_VAR_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "mesocare", "serve", "--prod", "--port", str(port)]
    log = (tmp_path / "serve.log").open("w+b")
    # A session of its own, so the gunicorn master and its workers are stopped together.
    server = subprocess.Popen(
        [*command, "--workers", "1", "--threads", "2"],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if server.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.3)
        if server.poll() is not None or time.monotonic() >= deadline:
            log.seek(0)
            pytest.fail("serve --prod did not start:\n" + log.read().decode()[-3000:])
        yield base, server
    finally:
        if _group_alive(server.pid):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        log.close()


def test_production_start_serves_the_login_page_and_hashed_static_files(
    production_server: tuple[str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    base, server = production_server
    # The file is WAL before the workers start: workers switching it together failed at once.
    database = sqlite3.connect(tmp_path / "mesocare.sqlite3")
    try:
        assert database.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        database.close()
    status, headers, body = _get(base + "/login")
    assert status == 200, body[:500]
    page = body.decode()
    assert "Sign in to mesocare" in page
    assert "Strict-Transport-Security" in headers
    stylesheet = re.search(r'href="(/static/mesocare/app\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "pages link the hashed (cacheable) names of static files"

    status, headers, css = _get(base + stylesheet.group(1), **{"Accept-Encoding": "br"})
    assert status == 200
    assert headers.get("Content-Encoding") == "br"
    assert "immutable" in headers.get("Cache-Control", "")
    assert css

    status, _headers, _body = _get(base + "/static/mesocare/vendor/no-such.js")
    assert status == 404

    # A service manager stops the process it started: gunicorn and its workers stop with it.
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=15)
    deadline = time.monotonic() + 15
    while _group_alive(server.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_alive(server.pid), "gunicorn outlived the stopped serve process"


def test_vendored_scripts_name_no_missing_source_map() -> None:
    """A sourceMappingURL to a file that is not shipped makes `collectstatic` fail in production."""
    for script in VENDOR.glob("*.js"):
        for name in re.findall(r"sourceMappingURL=(\S+)", script.read_text()):
            assert (VENDOR / name).exists(), f"{script.name} names {name}, which is not shipped"


def test_threads_run_gthread_workers_and_one_thread_the_sync_worker() -> None:
    threaded = gunicorn_argv("127.0.0.1", 8000, workers=2, threads=4)
    assert threaded[threaded.index("--workers") + 1] == "2"
    assert threaded[threaded.index("--worker-class") + 1] == "gthread"
    assert threaded[threaded.index("--threads") + 1] == "4"
    assert "--worker-class" not in gunicorn_argv("127.0.0.1", 8000, workers=2, threads=1)
