"""The fetcher against the local server: each misbehaviour gives its own error, politeness is measurable."""

from __future__ import annotations

import time

import httpx
import pytest

from caim.intake.fetch import (
    BlockedAddress,
    FetchPolicy,
    FetchTimeout,
    HttpFetcher,
    HTTPStatusError,
    RobotsDisallowed,
    TooLarge,
    TooManyRedirects,
    UnsupportedURL,
)


def test_a_page_comes_back_with_its_final_url_type_and_body(site, fetcher):
    result = fetcher.fetch(site.url("/articles/en.html"))
    assert result.status == 200
    assert result.url == site.url("/articles/en.html")
    assert result.content_type == "text/html"
    assert result.charset == "utf-8"
    assert "wrongful arrest" in result.text
    assert result.headers["content-type"].startswith("text/html")


def test_a_redirect_is_followed_and_the_final_url_reported(site, fetcher):
    result = fetcher.fetch(site.url("/redirect"))
    assert result.url == site.url("/articles/en.html")
    assert result.requested_url == site.url("/redirect")


def test_a_redirect_loop_is_an_error_not_a_hang(site, fetcher):
    with pytest.raises(TooManyRedirects, match="redirect loop"):
        fetcher.fetch(site.url("/loop/a"))
    assert site.hits["/loop/a"] == 1 and site.hits["/loop/b"] == 1


def test_too_many_redirects_is_an_error(site, make_fetcher):
    with pytest.raises(TooManyRedirects, match="more than 0"):
        make_fetcher(max_redirects=0).fetch(site.url("/redirect"))


def test_a_slow_page_times_out(site, make_fetcher):
    started = time.monotonic()
    with pytest.raises(FetchTimeout) as raised:
        make_fetcher(retries=0).fetch(site.url("/slow"))
    assert time.monotonic() - started < 0.9  # the read timeout (0.3 s), not the page's 1 s
    assert raised.value.reason == "timed out"


def test_a_page_trickling_bytes_hits_the_total_timeout(site, make_fetcher):
    started = time.monotonic()
    with pytest.raises(FetchTimeout, match="more than 0.35s"):
        make_fetcher(retries=0, total_timeout=0.35).fetch(site.url("/trickle"))  # each read is within 0.3 s
    assert time.monotonic() - started < 0.9


@pytest.mark.parametrize(
    ("path", "detail"),
    [("/big", "declared 200000 bytes, limit 50000"), ("/big-stream", "more than 50000 bytes")],
)
def test_an_oversized_page_is_an_error_not_a_truncated_article(site, fetcher, path, detail):
    with pytest.raises(TooLarge, match="too large") as raised:
        fetcher.fetch(site.url(path))
    assert raised.value.detail == detail  # a declared length is refused before reading the body


def test_the_size_limit_is_the_policys(site, make_fetcher):
    assert len(make_fetcher(max_bytes=300_000).fetch(site.url("/big-stream")).content) == 200_000


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/file", "file:///etc/passwd", "javascript:alert(1)", "http://", "http://u:p@127.0.0.1/"],
)
def test_only_http_and_https_are_fetched(fetcher, url):
    with pytest.raises(UnsupportedURL):
        fetcher.fetch(url)


def test_a_redirect_to_another_scheme_is_refused(site, fetcher):
    with pytest.raises(UnsupportedURL, match="ftp://"):
        fetcher.fetch(site.url("/redirect-ftp"))


def test_private_addresses_are_refused_unless_allowed(site, make_fetcher):
    with pytest.raises(BlockedAddress, match="private or local address"):
        make_fetcher(allow_private=False).fetch(site.url("/articles/en.html"))
    assert site.hits == {}  # not even robots.txt was asked


def test_http_errors_are_errors_with_their_status(site, fetcher):
    with pytest.raises(HTTPStatusError) as raised:
        fetcher.fetch(site.url("/not-found"))
    assert raised.value.status == 404
    assert site.hits["/not-found"] == 1  # a 4xx is not retried


def test_a_redirect_without_a_location_is_an_error(site, fetcher):
    with pytest.raises(HTTPStatusError) as raised:
        fetcher.fetch(site.url("/redirect-nowhere"))
    assert raised.value.status == 302


# retries


def test_a_5xx_is_retried_with_exponential_backoff(site, fetcher, fetch_clock):
    result = fetcher.fetch(site.url("/flaky/2"))
    assert result.status == 200
    assert site.hits["/flaky/2"] == 3
    assert fetch_clock.sleeps == [0.001, 0.002]


def test_retries_stop_after_the_policys_count(site, fetcher, fetch_clock):
    with pytest.raises(HTTPStatusError) as raised:
        fetcher.fetch(site.url("/always-500"))
    assert raised.value.status == 500
    assert site.hits["/always-500"] == 3  # one attempt and two retries
    assert fetch_clock.sleeps == [0.001, 0.002]


def test_timeouts_are_retried_too(site, make_fetcher):
    with pytest.raises(FetchTimeout):
        make_fetcher(retries=1).fetch(site.url("/slow"))
    assert site.hits["/slow"] == 2


def test_backoff_has_a_ceiling(site, make_fetcher, fetch_clock):
    with pytest.raises(HTTPStatusError):
        make_fetcher(retries=3, backoff=10.0, max_backoff=15.0).fetch(site.url("/always-500"))
    assert fetch_clock.sleeps == [10.0, 15.0, 15.0]


# robots.txt


def test_robots_disallow_is_honoured_and_the_page_never_asked(site, fetcher):
    with pytest.raises(RobotsDisallowed):
        fetcher.fetch(site.url("/private/secret"))
    assert "/private/secret" not in site.hits


def test_robots_txt_is_read_once_per_host(site, fetcher):
    fetcher.fetch(site.url("/articles/en.html"))
    fetcher.fetch(site.url("/articles/fr.html"))
    with pytest.raises(RobotsDisallowed):
        fetcher.fetch(site.url("/private/secret"))
    assert site.hits["/robots.txt"] == 1


def test_robots_txt_is_read_again_after_its_time_to_live(site, fetcher, fetch_clock):
    fetcher.fetch(site.url("/articles/en.html"))
    fetch_clock.now += fetcher.policy.robots_ttl + 1
    fetcher.fetch(site.url("/articles/en.html"))
    assert site.hits["/robots.txt"] == 2


def test_robots_can_be_switched_off(site, make_fetcher):
    assert make_fetcher(robots=False).fetch(site.url("/private/secret")).status == 200
    assert "/robots.txt" not in site.hits


def test_a_redirect_into_a_disallowed_path_is_refused(site, fetcher):
    with pytest.raises(RobotsDisallowed, match="/private/secret"):
        fetcher.fetch(site.url("/redirect-private"))
    assert "/private/secret" not in site.hits


# politeness


def test_requests_to_one_host_are_spaced_by_the_interval(site, make_fetcher, fetch_clock):
    fetcher = make_fetcher(host_interval=2.0)
    for page in ("en", "fr", "short"):
        fetcher.fetch(site.url(f"/articles/{page}.html"))
    # robots.txt, then three pages: each request waited for the one before it (the fake clock moves only on sleep)
    assert fetch_clock.sleeps == [2.0, 2.0, 2.0]


def test_the_interval_is_per_host(site, make_fetcher, fetch_clock):
    fetcher = make_fetcher(host_interval=2.0, robots=False)
    fetcher.fetch(site.url("/articles/en.html"))
    fetcher.fetch(site.base.replace("127.0.0.1", "localhost") + "/articles/fr.html")
    assert fetch_clock.sleeps == []


def test_spacing_holds_in_real_time(site):
    fetcher = HttpFetcher(FetchPolicy(**{**_policy(), "host_interval": 0.15, "robots": False}))
    try:
        for _ in range(3):
            fetcher.fetch(site.url("/articles/en.html"))
    finally:
        fetcher.close()
    times = [at for path, _agent, at in site.log]
    # The server notes a request when it handles it, which a loaded machine can delay for one request and not
    # the next: the span of the three holds two intervals however the lateness falls.
    assert len(times) == 3 and times[-1] - times[0] >= 0.28


def test_the_user_agent_names_the_monitor(site, settings):
    settings.CAIM_SITE_NAME = "Test Monitor"
    settings.CAIM_SITE_URL = "https://monitor.example"
    fetcher = HttpFetcher(FetchPolicy(**{**_policy(), "user_agent": ""}))
    try:
        fetcher.fetch(site.url("/articles/en.html"))
    finally:
        fetcher.close()
    assert {agent for _path, agent, _at in site.log} == {
        "CAIM-monitor/1.0 (+https://monitor.example; Test Monitor)"
    }


def test_the_policy_reads_the_settings(settings):
    settings.CAIM_FETCH_READ_TIMEOUT = 7
    settings.CAIM_FETCH_MAX_BYTES = 1234
    settings.CAIM_FETCH_HOST_INTERVAL = 0.5
    settings.CAIM_FETCH_USER_AGENT = ""
    policy = FetchPolicy.from_settings()
    assert (policy.read_timeout, policy.max_bytes, policy.host_interval) == (7.0, 1234, 0.5)
    assert policy.user_agent.startswith("CAIM-monitor/1.0 ")
    assert policy.allow_private is False and policy.robots is True


def _policy() -> dict:
    from tests.intake.conftest import TEST_POLICY

    return dict(TEST_POLICY.__dict__)


# robots.txt answers, through a swapped transport (httpx.MockTransport: no socket at all)


def _mock_fetcher(robots_status: int, robots_body: str = "") -> tuple[HttpFetcher, list[str]]:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        if request.url.path == "/robots.txt":
            return httpx.Response(robots_status, text=robots_body)
        return httpx.Response(200, html="<title>page</title>")

    policy = FetchPolicy(**{**_policy(), "retries": 0})
    return HttpFetcher(policy, transport=httpx.MockTransport(handler)), asked


def test_robots_rules_naming_the_monitor_apply_to_it():
    fetcher, asked = _mock_fetcher(200, "User-agent: CAIM-monitor\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    with pytest.raises(RobotsDisallowed):
        fetcher.fetch("https://news.example/a")
    assert asked == ["/robots.txt"]


def test_no_robots_txt_allows_everything():
    fetcher, asked = _mock_fetcher(404)
    assert fetcher.fetch("https://news.example/a").status == 200
    assert asked == ["/robots.txt", "/a"]


def test_an_unreachable_robots_txt_forbids_the_host():
    fetcher, asked = _mock_fetcher(503)
    with pytest.raises(RobotsDisallowed):
        fetcher.fetch("https://news.example/a")
    assert asked == ["/robots.txt"]
