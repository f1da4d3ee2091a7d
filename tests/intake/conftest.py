"""Fixtures of the intake tests: a submission's form data, a local HTTP server (never the internet) and a
fetcher with tiny limits."""

from __future__ import annotations

import time

import pytest
from django.core import signing

from caim.intake.fetch import FetchPolicy, HttpFetcher
from caim.intake.forms import SIGNING_SALT
from tests.intake.server import FixtureServer


def started(seconds_ago: float = 30) -> str:
    """The hidden field of a form shown `seconds_ago`."""
    return signing.dumps(time.time() - seconds_ago, salt=SIGNING_SALT)


def submission(**changes) -> dict:
    data = {"urls": "https://news.example.ca/ai-chatbot-error\nhttp://example.org/story", "what": "A chatbot gave wrong refund rules.",
            "when": "March 2026", "where": "Toronto", "email": "", "consent": "on", "website": "",
            "started": started()}  # fmt: skip
    data.update(changes)
    return data


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """`with commits(execute=True):` runs what waits for the commit (status emails) as a real commit would."""
    return django_capture_on_commit_callbacks


TEST_POLICY = FetchPolicy(
    connect_timeout=2.0,
    read_timeout=0.3,  # /slow answers after 1 s
    total_timeout=5.0,
    max_bytes=50_000,  # /big and /big-stream send 200 000 bytes; the article pages are about 2 000
    max_redirects=5,
    retries=2,
    backoff=0.001,
    host_interval=0.0,
    allow_private=True,  # the server is on 127.0.0.1
    user_agent="CAIM-monitor/1.0 (+http://test.invalid; CAIM tests)",
)


class FakeClock:
    """A monotonic clock that only moves when the fetcher sleeps; records every sleep."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(scope="module")
def server():
    with FixtureServer() as running:
        yield running


@pytest.fixture
def site(server):
    server.reset()
    return server


@pytest.fixture
def fetch_clock():
    """The fetcher's clock (the records' `clock` fixture is another thing: the time actions record)."""
    return FakeClock()


@pytest.fixture
def make_fetcher(fetch_clock):
    made = []

    def make(**overrides) -> HttpFetcher:
        values = {**TEST_POLICY.__dict__, **overrides}
        fetcher = HttpFetcher(FetchPolicy(**values), clock=fetch_clock, sleep=fetch_clock.sleep)
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()


@pytest.fixture
def fetcher(make_fetcher):
    return make_fetcher()
