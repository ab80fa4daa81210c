"""SQLite: a new connection waits for a lock held a few seconds instead of failing.

Found by the crash test on SQLite: a booking answered 500 "database is locked" while opening
its connection — the first statements of a connection (`PRAGMA journal_mode=WAL`, …) ran
before the configured busy timeout, with the driver's default 5 s wait, while another
connection held the file's lock (a checkpoint, or recovery after a kill, on a busy machine).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HELD_S = 6.5  # longer than the driver's default wait of 5 s, shorter than the product's 10 s

CHILD = """
import sys, time, django
django.setup()
from django.db import connection
print("ready", flush=True)
sys.stdin.readline()
started = time.monotonic()
connection.ensure_connection()
print(f"connected after {time.monotonic() - started:.1f} s", flush=True)
"""


def test_a_new_connection_waits_out_a_lock_held_longer_than_5_s(tmp_path: Path) -> None:
    file = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(file, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x)")
    # Exclusive locking mode keeps the file locked after the write, as a checkpoint does.
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("INSERT INTO t VALUES (1)")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mesocare.settings",
        "DATABASE_URL": f"sqlite:///{file}",
        "MESOCARE_VAR_DIR": str(tmp_path / "var"),
    }
    env.pop("MESOCARE_PROD", None)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "ready"
        child.stdin.write("go\n")
        child.stdin.flush()
        time.sleep(HELD_S)
        holder.close()  # releases the lock
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err[-2000:]
    assert out.startswith("connected after"), out
