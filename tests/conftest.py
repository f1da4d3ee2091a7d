"""Test fixtures shared by the whole suite.

The suite runs against a database that already holds the demo set (loaded once per session, through the real
actions), the way a real monitor has data in it: tests create their own records beside it and never assume an
empty table. Run it on SQLite (default) or PostgreSQL (DATABASE_URL=postgres://...).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from caim.cli import compile_catalogs
from caim.records import roles
from caim.records.clock import FixedClock
from tests import factories


def pytest_configure(config):
    compile_catalogs()


def pytest_report_header(config):
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from caim.demo.loader import load_demo

    with django_db_blocker.unblock():
        load_demo()


@pytest.fixture(scope="session", autouse=True)
def corpus_dir(tmp_path_factory):
    """Corpus files of the test databases live apart from the demo's."""
    from django.conf import settings

    settings.CAIM_CORPUS_DIR = tmp_path_factory.mktemp("corpus")
    return settings.CAIM_CORPUS_DIR


@pytest.fixture(autouse=True)
def list_index_of_this_test():
    """Each test starts with no list index and no kept page in memory. A process's index is patched with the changes logged
    since it was brought up to date, which holds for committed data; a test's rolled-back transaction undoes
    changes the index of the previous test had taken in."""
    from django.core.cache import caches

    from caim.intake import embedding, titles
    from caim.records import vectors
    from caim.records.views import reuse
    from caim.site import listindex

    listindex._current = None
    vectors._current = None  # the kept vectors, for the same reason
    embedding.reset()  # and deduplication's index (SQLite gives a rolled-back row's id again)
    titles.reset()  # and its titles
    caches["pages"].clear()  # kept pages too: a rolled-back state's token can come back in the next test
    caches["local"].clear()  # and kept API answers and charts, for the same reason
    reuse._load.started.clear()  # the requests of earlier tests do not make this one's process busy
    yield
    listindex._current = None
    vectors._current = None


@pytest.fixture
def run_tasks(monkeypatch):
    """`run_tasks()` runs the queued tasks in this process as `caim worker --batch` does (start-up recovery,
    then django-tasks-db's worker), and returns the recovery's outcome. The worker's checks of the connection
    are left out: the test's transaction holds it."""
    from django_tasks_db.management.commands import db_worker

    from caim import background

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    return lambda: background.run_worker(batch=True, startup_delay=False)


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("America/Toronto")))


@pytest.fixture
def editor(db):
    return factories.make_user("t-editor", roles.EDITOR)


@pytest.fixture
def reviewer(db):
    return factories.make_user("t-reviewer", roles.REVIEWER)


@pytest.fixture
def translator(db):
    return factories.make_user("t-translator", roles.TRANSLATOR)


@pytest.fixture
def outsider(db):
    return factories.make_user("t-outsider")


@pytest.fixture
def entities(db):
    return factories.make_entities()


@pytest.fixture
def hazard(db, editor, reviewer, entities, clock):
    return factories.published_hazard(editor, reviewer, clock)


@pytest.fixture
def incident(db, editor, reviewer, entities, hazard, clock):
    return factories.published_incident(editor, reviewer, clock, hazard=hazard)


@pytest.fixture(scope="session")
def playwright_session():
    """One Playwright for the whole session, shared by the browser tests of every folder: a second
    `sync_playwright()` while one is running fails ("Sync API inside the asyncio loop")."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p
