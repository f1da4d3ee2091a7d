"""Production settings fail closed: a wrong environment name, a weak key or DEBUG never slip through."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

GOOD_KEY = "k" * 30 + "abcdefghij0123456789"  # 50 characters, more than 5 distinct


def start(**env) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with these environment variables."""
    environ = {
        k: v for k, v in os.environ.items() if k not in ("CAIM_ENV", "SECRET_KEY", "DEBUG", "CACHE_URL")
    }
    environ.update(env)
    code = "import caim.settings as s; print('DEBUG', s.DEBUG, 'PRODUCTION', s.PRODUCTION)"
    return subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("name", ["prod", "Production", "PRODUCTION", "staging", ""])
def test_an_unknown_environment_is_refused(name):
    result = start(CAIM_ENV=name, SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0 and "is not one of: development, production" in result.stderr


@pytest.mark.parametrize("key", ["x", "short-key-of-forty-characters-0123456789", "a" * 60])
def test_a_weak_key_is_refused_in_production(key):
    result = start(CAIM_ENV="production", SECRET_KEY=key)
    assert result.returncode != 0 and "too short or too simple" in result.stderr


def test_the_development_key_is_refused_in_production():
    result = start(CAIM_ENV="production")
    assert result.returncode != 0 and "refusing the development key" in result.stderr


def test_debug_is_always_off_in_production():
    result = start(CAIM_ENV="production", SECRET_KEY=GOOD_KEY, DEBUG="1")
    assert result.returncode == 0 and "DEBUG False PRODUCTION True" in result.stdout


def test_a_cache_url_that_is_not_redis_is_refused():
    result = start(CACHE_URL="memcached://127.0.0.1")
    assert result.returncode != 0 and "CACHE_URL must be a redis://" in result.stderr


def test_the_default_cache_is_shared_by_every_worker():
    from django.conf import settings

    assert settings.CACHES["default"]["BACKEND"] == "caim.cache.CountingDatabaseCache"


def tasks_settings(**env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CAIM_TASKS")}
    environ.update(env)
    code = "import caim.settings as s; print(s.TASKS['default']['BACKEND'], s.INSTALLED_APPS[-1], getattr(s, 'RQ_QUEUES', ''))"
    return subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60
    )


def test_the_task_backend_is_chosen_by_configuration():
    assert tasks_settings().stdout.split()[0] == "django_tasks_db.DatabaseBackend"
    assert tasks_settings(CAIM_TASKS_BACKEND="immediate").stdout.startswith(
        "django_tasks.backends.immediate."
    )
    rq = tasks_settings(CAIM_TASKS_BACKEND="rq", CAIM_TASKS_URL="redis://127.0.0.1:6379/2").stdout
    assert (
        rq.split()[:2] == ["django_tasks_rq.RQBackend", "django_tasks_rq"]
        and "redis://127.0.0.1:6379/2" in rq
    )
    named = tasks_settings(
        CAIM_TASKS_BACKEND="my_celery.CeleryBackend", CAIM_TASKS_OPTIONS='{"queue": "caim"}'
    )
    assert named.stdout.split()[0] == "my_celery.CeleryBackend"


@pytest.mark.parametrize(("env", "message"), [({"CAIM_TASKS_BACKEND": "celery"}, "nor an import path"),
                                              ({"CAIM_TASKS_BACKEND": "rq"}, "needs CAIM_TASKS_URL")])  # fmt: skip
def test_a_task_backend_that_cannot_work_is_refused(env, message):
    result = tasks_settings(**env)
    assert result.returncode != 0 and message in result.stderr
