"""`mesocare worker`: the outbox delivery loop and the django-tasks database worker together.

The outbox loop runs in the main thread (it owns the signal handlers); the task worker runs in
a second thread. SIGTERM/SIGINT stop both after the current batch/task, and the command
returns 0. `--once` delivers everything due, runs the queued tasks, and exits.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType
from typing import Any

from django.core.management import call_command

from mesocare.notify.worker import DeliveryStats, run_outbox_loop

log = logging.getLogger(__name__)


def _task_worker(interval: float) -> Any:
    from django.utils.crypto import get_random_string
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=[DEFAULT_TASK_QUEUE_NAME],
        interval=interval,
        batch=False,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )


def run_worker(
    *,
    once: bool = False,
    outbox: bool = True,
    tasks: bool = True,
    interval: float = 1.0,
    batch_size: int = 100,
    verbose: bool = True,
) -> int:
    stop = threading.Event()
    task_worker = None
    task_thread = None

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        if task_worker is not None:
            task_worker.running = False

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def report(stats: DeliveryStats) -> None:
        if verbose:
            sys.stdout.write(f"outbox: {stats}\n")
            sys.stdout.flush()

    if tasks and not once:
        task_worker = _task_worker(interval)
        task_thread = threading.Thread(target=task_worker.run, name="tasks", daemon=True)
        task_thread.start()
    if outbox:
        run_outbox_loop(stop, interval=interval, batch_size=batch_size, once=once, on_batch=report)
    elif not once:
        while not stop.wait(3600):
            pass
    if tasks and once and not stop.is_set():
        call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    if task_thread is not None:
        task_worker.running = False  # type: ignore[union-attr]
        task_thread.join(timeout=interval + 30)
    return 0
