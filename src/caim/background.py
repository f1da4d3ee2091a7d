"""Background work through Django's task framework (django-tasks): what every app's tasks share. (Not `queue.py`:
run from inside the package, as `make messages` does, that name would hide the standard library's `queue`.)

- `enqueue(task, *args)`: send a task with the current transaction. The database backend writes the task's row
  in it (the task exists if and only if the change that asked for it was committed); a backend outside the
  database (Redis) is sent the task once the transaction commits, so a worker never picks up a task whose rows
  it cannot see yet.
- `caim worker` (`run_worker`) runs django-tasks-db's worker after `recover_stale()`: the database backend never
  takes back a task whose worker was killed (it stays "running" for ever), so we do. A task's worker id names
  its machine, process and the process's start time: on the same machine, a task whose process is gone (or is
  another process with a reused number) is queued again at once, and one whose process still runs is left to
  it however long it takes; on another machine, once it has been running longer than CAIM_TASKS_STALE_SECONDS. A task that lost its worker CAIM_TASKS_MAX_ATTEMPTS times is marked
  failed instead (it may be what kills them). Every task is written to be run twice without harm.
- `queue_state()`: the counts and the last error the staff see on the monitored sources' page.

Only the database backend has a table to look at; with another backend the queue is that system's, and
`caim worker` says which command runs it.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

IN_PROCESS = ("DatabaseBackend", "ImmediateBackend", "DummyBackend")  # run, or stored, with our transaction


def backend():
    from django_tasks import task_backends

    return task_backends["default"]  # the backend itself (default_task_backend is a proxy: no isinstance)


def uses_database() -> bool:
    from django_tasks_db import DatabaseBackend

    return isinstance(backend(), DatabaseBackend)


def enqueue(task, *args, **kwargs) -> None:
    if type(task.get_backend()).__name__ in IN_PROCESS or not transaction.get_connection().in_atomic_block:
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))


# -- workers and the tasks they left behind ----------------------------------------------------------------------


def _started(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, Linux), None when there is no such living process.
    A zombie (killed, not yet reaped by its parent) counts as gone. "" when alive but the start is unknown."""
    if not os.path.isdir("/proc/self"):  # not Linux: whether it lives, without its start time
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except OSError:
            return ""
        return ""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    except OSError:
        return ""
    return None if fields[0] in ("Z", "X") else fields[19]


def worker_id(pid: int | None = None) -> str:
    """machine:process:start time, at most 64 characters (the worker id column)."""
    pid = pid or os.getpid()
    return f"{socket.gethostname()[:40]}:{pid}:{_started(pid) or ''}"


def worker_gone(worker: str) -> bool | None:
    """True when `worker` ran on this machine and its process is not running any more, False when it still
    runs; None when it ran on another machine (there only the task's age tells)."""
    host, _, rest = worker.partition(":")
    pid, _, start = rest.partition(":")
    if host != socket.gethostname()[:40] or not pid.isdigit():
        return None
    if int(pid) == os.getpid():  # this process is starting: whatever ran under its number before is dead
        return True
    now = _started(int(pid))
    return now is None or (bool(start) and bool(now) and now != start)


class WorkerLost(Exception):
    """The task's worker died while running it, too many times: it is not run again."""


@dataclass
class Recovered:
    requeued: list[str]
    failed: list[str]


def recover_stale(now: datetime | None = None) -> Recovered:
    """Queue again the tasks whose worker died while running them (see the module's docstring)."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    old = now - timedelta(seconds=settings.CAIM_TASKS_STALE_SECONDS)
    done = Recovered([], [])
    for task in DBTaskResult.objects.running().only("id", "worker_ids", "started_at", "task_path"):
        last = task.worker_ids[-1] if task.worker_ids else ""
        gone = worker_gone(last)
        if gone is False or (gone is None and not (task.started_at and task.started_at < old)):
            continue
        # Only if it is still the same run: a worker that finished it meanwhile keeps its outcome.
        same = DBTaskResult.objects.filter(
            pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
        )
        if len(task.worker_ids) >= settings.CAIM_TASKS_MAX_ATTEMPTS:
            message = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"
            note = f"its worker died while running it {len(task.worker_ids)} times (last: {last})\n"
            if same.update(status=TaskResultStatus.FAILED, finished_at=now, exception_class_path=message,
                           traceback=note):  # fmt: skip
                done.failed.append(str(task.pk))
        elif same.update(status=TaskResultStatus.READY, started_at=None):
            done.requeued.append(str(task.pk))
    return done


def prune_finished(days: int | None = None, now: datetime | None = None) -> int:
    """Delete the rows of tasks finished more than `days` ago (the table would otherwise grow for ever)."""
    from django_tasks_db.models import DBTaskResult

    days = settings.CAIM_TASKS_KEEP_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


def run_worker(*, batch: bool = False, interval: float = 1.0, max_tasks: int | None = None,
               queues: str = "*", startup_delay: bool = True) -> Recovered:  # fmt: skip
    """Recover what dead workers left, then run tasks until stopped (SIGTERM or SIGINT finish the current task
    first), or until none is ready with `batch`."""
    from django_tasks_db.management.commands.db_worker import Worker

    recovered = recover_stale()
    Worker(
        queue_names=queues.split(","),
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=startup_delay,
        max_tasks=max_tasks,
        worker_id=worker_id(),
        excluded_queue_names=[],
    ).run()
    return recovered


def run_ready() -> int:
    """Run the tasks that are ready, here and now, one at a time as a worker runs them, without the worker's
    recycling of database connections: for a command that holds the database itself (`caim demo`)."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                    max_tasks=None, worker_id=worker_id(), excluded_queue_names=[])  # fmt: skip
    done = 0
    while True:
        with transaction.atomic():
            task = DBTaskResult.objects.ready().filter(backend_name="default").get_locked()
            if task is None:
                return done
            task.claim(worker.worker_id)
        worker.run_task(task)
        done += 1


# -- what the staff see ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueState:
    database: bool  # False: another backend holds the queue, and there is nothing to count here
    queued: int = 0
    running: int = 0
    failed: int = 0
    last_error: str = ""  # the task and the last line of its error
    last_error_at: datetime | None = None


def queue_state() -> QueueState:
    """Two queries: the counts by status, and the last failure."""
    if not uses_database():
        return QueueState(database=False)
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    counts = dict(DBTaskResult.objects.values_list("status").annotate(n=Count("id")).order_by())
    last = (
        DBTaskResult.objects.failed()
        .only("task_path", "traceback", "exception_class_path", "finished_at")
        .order_by("-finished_at")
        .first()
    )
    error = ""
    if last is not None:
        lines = [line for line in last.traceback.splitlines() if line.strip()]
        error = f"{last.task_path.rsplit('.', 1)[-1]}: {lines[-1] if lines else last.exception_class_path}"
    return QueueState(
        database=True,
        queued=counts.get(TaskResultStatus.READY, 0),
        running=counts.get(TaskResultStatus.RUNNING, 0),
        failed=counts.get(TaskResultStatus.FAILED, 0),
        last_error=error,
        last_error_at=last.finished_at if last else None,
    )
