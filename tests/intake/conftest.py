"""Fixtures of the intake tests: a local HTTP server (never the internet) and a fetcher with tiny limits."""

from __future__ import annotations

import pytest

from caim.intake.fetch import FetchPolicy, HttpFetcher
from tests.intake.server import FixtureServer

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
def clock():
    return FakeClock()


@pytest.fixture
def make_fetcher(clock):
    made = []

    def make(**overrides) -> HttpFetcher:
        values = {**TEST_POLICY.__dict__, **overrides}
        fetcher = HttpFetcher(FetchPolicy(**values), clock=clock, sleep=clock.sleep)
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()


@pytest.fixture
def fetcher(make_fetcher):
    return make_fetcher()
