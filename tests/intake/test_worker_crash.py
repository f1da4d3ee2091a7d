"""Killing a worker mid-task loses no lead (issue 19): real `caim` processes on a database file of their own, a
worker SIGKILLed while it waits for a slow article page, then a new worker. Every article becomes a lead exactly
once, and every task is run to its end (the killed one again, by the new worker's start-up recovery)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKE_SOURCE = """
import django; django.setup()
from caim.intake.models import MonitoredSource
MonitoredSource.objects.create(kind="feed", name="slow feed", url={url!r}, language="en",
                               created_at="2026-11-01T00:00Z", updated_at="2026-11-01T00:00Z")
"""


@pytest.fixture
def environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CAIM_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="caim.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'crash.sqlite3'}",
        CAIM_VAR_DIR=str(tmp_path),
        CAIM_TASKS_BACKEND="database",
        CAIM_FETCH_ALLOW_PRIVATE="1",  # the fixture server is on 127.0.0.1
        CAIM_FETCH_HOST_INTERVAL="0",
        CAIM_POLL_MIN_RELEVANCE="0.25",
        PYTHONPATH=str(ROOT),
    )
    return env


def caim(env, *args, timeout=60):
    result = subprocess.run([sys.executable, "-m", "caim", *args], env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def rows(tmp_path, sql):
    with sqlite3.connect(tmp_path / "crash.sqlite3") as db:
        return db.execute(sql).fetchall()


def test_a_worker_killed_mid_task_loses_no_lead_and_no_task(server, environment, tmp_path):
    server.reset()
    server.article_delay = 2.0
    caim(environment, "migrate", "--verbosity", "0")
    script = MAKE_SOURCE.format(url=server.url("/feeds/slow.xml"))
    subprocess.run([sys.executable, "-c", script], env=environment, check=True, timeout=60)
    assert "1 source(s) due" in caim(environment, "poll", "--enqueue")

    worker = subprocess.Popen([sys.executable, "-m", "caim", "worker", "--interval", "0.1"], env=environment,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not server.hits.get("/slow-articles/fr.html") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.hits.get("/slow-articles/fr.html"), "the worker never reached the slow article"
        worker.send_signal(signal.SIGKILL)  # while the page is still being served
    finally:
        worker.kill()
        worker.wait(timeout=10)
    assert worker.returncode == -signal.SIGKILL

    stuck = rows(
        tmp_path, "SELECT task_path FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
    )
    assert stuck == [("caim.intake.tasks.extract_article",)]  # what the killed worker left
    before = rows(tmp_path, "SELECT COUNT(*) FROM intake_lead")[0][0]
    assert before == 1  # the English article, committed before the kill

    caim(environment, "worker", "--batch", timeout=120)  # a new worker: recovers the task, then runs the rest

    paths = sorted(
        urlsplit(json.loads(urls)[0]).path for (urls,) in rows(tmp_path, "SELECT urls FROM intake_lead")
    )
    assert paths == ["/articles/en.html", "/articles/short.html", "/slow-articles/fr.html"]
    tasks = rows(
        tmp_path,
        "SELECT task_path, status, worker_ids FROM django_tasks_database_dbtaskresult"
        " WHERE task_path LIKE 'caim.intake.%' ORDER BY enqueued_at",
    )
    assert [(path.rsplit(".", 1)[1], status) for path, status, _ in tasks] == [
        ("poll_source", "SUCCESSFUL"),
        ("extract_article", "SUCCESSFUL"),
        ("extract_article", "SUCCESSFUL"),
        ("extract_article", "SUCCESSFUL"),
    ]
    assert sorted(len(json.loads(worker_ids)) for _, _, worker_ids in tasks) == [1, 1, 1, 2]  # one ran twice
    assert rows(
        tmp_path, "SELECT COUNT(*), COUNT(DISTINCT url_hash) FROM intake_seenitem WHERE outcome = 'lead'"
    ) == [(3, 3)]
    assert rows(tmp_path, "SELECT COUNT(*) FROM intake_pendingarticle") == [(0,)]
    assert server.hits["/slow-articles/fr.html"] == 2 and server.hits["/articles/en.html"] == 1
