"""The one fetcher: every network access of intake (feeds, articles, robots.txt) goes through here.

Why one place: the monitor fetches addresses that strangers give it (public submissions) and addresses it polls
on a schedule (monitored feeds). Both must be polite to the sites (robots.txt, a per-host rate limit, a User-Agent
that says who we are and where to complain) and safe for us (timeouts, a size cap, http(s) only, no private
addresses, bounded redirects and retries). Callers get either a `FetchResult` or one `FetchError` subclass whose
`reason` is a short phrase a log line or a lead's history can show.

`Fetcher` is a small protocol: tests and other transports (a recorded-responses fake, an async worker) implement
`fetch(url)` and nothing else. `HttpFetcher` is the real one, on httpx (sync). It is not thread-safe: a worker
holds its own (the per-host spacing is then per worker, which is what one machine running a few workers needs).
"""

from __future__ import annotations

import ipaddress
import socket
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import httpx

DEFAULT_SITE_NAME = "Canadian AI Incident Monitor"
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt
RETRY_STATUSES = frozenset({500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


# --- errors -------------------------------------------------------------------------------------------------


class FetchError(Exception):
    """A fetch that gave no usable page. `reason` is short and machine-friendly; `url` is what was asked."""

    reason = "fetch failed"

    def __init__(self, url: str, detail: str = ""):
        self.url = url
        self.detail = detail
        super().__init__(f"{self.reason}: {url}" + (f" ({detail})" if detail else ""))


class UnsupportedURL(FetchError):
    reason = "unsupported URL"  # not http(s), no host, or credentials in the URL


class BlockedAddress(FetchError):
    reason = "private or local address"  # the host resolves to loopback, private, link-local... (SSRF guard)


class RobotsDisallowed(FetchError):
    reason = "disallowed by robots.txt"


class TooLarge(FetchError):
    reason = "response too large"


class TooManyRedirects(FetchError):
    reason = "too many redirects"  # includes redirect loops


class FetchTimeout(FetchError):
    reason = "timed out"


class ConnectionFailed(FetchError):
    reason = "connection failed"


class HTTPStatusError(FetchError):
    reason = "HTTP error"

    def __init__(self, url: str, status: int):
        self.status = status
        super().__init__(url, f"status {status}")


# --- result and interface ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchResult:
    url: str  # the final URL, after redirects
    status: int
    content_type: str  # media type only, lower case ("text/html"), "" when the server gave none
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    requested_url: str = ""
    charset: str | None = None

    @property
    def text(self) -> str:
        """The body decoded with the declared charset (UTF-8 otherwise); undecodable bytes are replaced."""
        try:
            return self.content.decode(self.charset or "utf-8", errors="replace")
        except LookupError:  # an unknown charset name
            return self.content.decode("utf-8", errors="replace")


class Fetcher(Protocol):
    def fetch(self, url: str, *, accept: str | None = None) -> FetchResult: ...


# --- policy --------------------------------------------------------------------------------------------------


def default_user_agent(site_name: str | None = None, site_url: str | None = None) -> str:
    """`CAIM-monitor/1.0 (+<site url>; <site name>)`: the product token robots.txt rules can name."""
    if site_name is None or site_url is None:
        try:
            from django.conf import settings

            site_name = site_name or getattr(settings, "CAIM_SITE_NAME", None)
            site_url = site_url or getattr(settings, "CAIM_SITE_URL", None)
        except Exception:  # noqa: S110 - Django not configured: a plain library use, keep the defaults
            pass
    name = site_name or DEFAULT_SITE_NAME
    return f"CAIM-monitor/1.0 (+{site_url}; {name})" if site_url else f"CAIM-monitor/1.0 ({name})"


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetcher. `from_settings()` reads the CAIM_FETCH_* settings (docs/intake.md)."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0  # between two reads of the socket
    total_timeout: float = 60.0  # a whole response, so that a page dribbling bytes cannot hold a worker
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 2  # extra attempts after a 5xx, a timeout or a failed connection
    backoff: float = 1.0  # seconds before the first retry, doubled at each one
    max_backoff: float = 30.0
    host_interval: float = 2.0  # minimum seconds between two requests to one host
    robots: bool = True
    robots_ttl: float = 3600.0  # seconds a host's robots.txt is kept
    allow_private: bool = False  # tests fetch from 127.0.0.1; production must not
    user_agent: str = ""

    @classmethod
    def from_settings(cls, **overrides) -> FetchPolicy:
        from django.conf import settings

        values = {
            "connect_timeout": float(getattr(settings, "CAIM_FETCH_CONNECT_TIMEOUT", cls.connect_timeout)),
            "read_timeout": float(getattr(settings, "CAIM_FETCH_READ_TIMEOUT", cls.read_timeout)),
            "total_timeout": float(getattr(settings, "CAIM_FETCH_TOTAL_TIMEOUT", cls.total_timeout)),
            "max_bytes": int(getattr(settings, "CAIM_FETCH_MAX_BYTES", cls.max_bytes)),
            "max_redirects": int(getattr(settings, "CAIM_FETCH_MAX_REDIRECTS", cls.max_redirects)),
            "retries": int(getattr(settings, "CAIM_FETCH_RETRIES", cls.retries)),
            "backoff": float(getattr(settings, "CAIM_FETCH_BACKOFF", cls.backoff)),
            "host_interval": float(getattr(settings, "CAIM_FETCH_HOST_INTERVAL", cls.host_interval)),
            "robots": bool(getattr(settings, "CAIM_FETCH_ROBOTS", cls.robots)),
            "allow_private": bool(getattr(settings, "CAIM_FETCH_ALLOW_PRIVATE", cls.allow_private)),
            "user_agent": getattr(settings, "CAIM_FETCH_USER_AGENT", "") or default_user_agent(),
        }
        values.update(overrides)
        return cls(**values)


# --- the real fetcher ----------------------------------------------------------------------------------------


def _is_public_host(host: str) -> bool:
    """Whether every address the host resolves to is public (a DNS name pointing at 10.x is refused too)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return True  # let the connection fail with its own, clearer error
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            return False
    return True


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


class HttpFetcher:
    """The real fetcher. `clock` and `sleep` are injectable so that tests measure spacing without waiting."""

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.policy = policy or FetchPolicy.from_settings()
        self.user_agent = self.policy.user_agent or default_user_agent()
        self.clock = clock
        self.sleep = sleep
        timeout = httpx.Timeout(
            connect=self.policy.connect_timeout,
            read=self.policy.read_timeout,
            write=self.policy.read_timeout,
            pool=self.policy.connect_timeout,
        )
        self.client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,  # followed by hand: each hop is checked (scheme, address, robots, count)
            headers={"User-Agent": self.user_agent},
            transport=transport,
            trust_env=False,  # no proxy or netrc from the environment surprises
        )
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, tuple[float, urllib.robotparser.RobotFileParser | None]] = {}

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> HttpFetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # public

    def fetch(self, url: str, *, accept: str | None = None) -> FetchResult:
        seen: set[str] = set()
        current = url
        for _hop in range(self.policy.max_redirects + 1):
            self._check_url(current)
            if self.policy.robots and not self._robots_allow(current):
                raise RobotsDisallowed(current)
            seen.add(current)
            status, headers, body, charset = self._request_with_retries(current, accept)
            if status in REDIRECT_STATUSES and headers.get("location"):
                target = urljoin(current, headers["location"])
                if target in seen:
                    raise TooManyRedirects(url, f"redirect loop at {target}")
                current = target
                continue
            if status >= 300:  # an error, or a redirect without a Location
                raise HTTPStatusError(current, status)
            content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            return FetchResult(
                url=current,
                status=status,
                content_type=content_type,
                content=body,
                headers=headers,
                requested_url=url,
                charset=charset,
            )
        raise TooManyRedirects(url, f"more than {self.policy.max_redirects}")

    # checks

    def _check_url(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError as error:
            raise UnsupportedURL(url, str(error)) from error
        if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
            raise UnsupportedURL(url)
        if parts.username or parts.password:
            raise UnsupportedURL(url, "credentials in the URL")
        if not self.policy.allow_private and not _is_public_host(parts.hostname):
            raise BlockedAddress(url)

    def _robots_allow(self, url: str) -> bool:
        key = _host_key(url)
        cached = self._robots.get(key)
        if cached is None or self.clock() - cached[0] > self.policy.robots_ttl:
            cached = (self.clock(), self._load_robots(key))
            self._robots[key] = cached
        parser = cached[1]
        return True if parser is None else parser.can_fetch(self.user_agent, url)

    def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        """None means no rules (no robots.txt). RFC 9309: a 4xx allows all; a 5xx or no answer disallows all."""
        robots_url = origin + "/robots.txt"
        parser = urllib.robotparser.RobotFileParser(robots_url)
        try:
            status, _headers, body, _charset = self._request_with_retries(
                robots_url, "text/plain", max_bytes=ROBOTS_MAX_BYTES, truncate=True
            )
        except FetchError:
            parser.disallow_all = True
            return parser
        if status >= 500:
            parser.disallow_all = True
            return parser
        if status >= 300:  # 4xx, or a redirect we do not chase for robots: no rules
            return None
        parser.parse(body.decode("utf-8", errors="replace").splitlines())
        return parser

    # requests

    def _wait_for_host(self, url: str) -> None:
        key = _host_key(url)
        last = self._last_request.get(key)
        if last is not None:
            wait = last + self.policy.host_interval - self.clock()
            if wait > 0:
                self.sleep(wait)
        self._last_request[key] = self.clock()

    def _request_with_retries(self, url, accept, *, max_bytes=None, truncate=False):
        attempts = self.policy.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                status, headers, body, charset = self._request(url, accept, max_bytes, truncate)
            except (FetchTimeout, ConnectionFailed):
                if last:
                    raise
            else:
                if status not in RETRY_STATUSES or last:
                    return status, headers, body, charset
            self.sleep(min(self.policy.backoff * 2**attempt, self.policy.max_backoff))
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(self, url, accept, max_bytes, truncate):
        limit = self.policy.max_bytes if max_bytes is None else max_bytes
        self._wait_for_host(url)
        headers = {"Accept": accept} if accept else {}
        started = time.monotonic()  # real time, whatever clock paces the hosts
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                response_headers = {k.lower(): v for k, v in response.headers.items()}
                if response.status_code in REDIRECT_STATUSES or response.status_code >= 400:
                    return response.status_code, response_headers, b"", response.charset_encoding
                declared = response_headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit and not truncate:
                    raise TooLarge(url, f"declared {declared} bytes, limit {limit}")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        if truncate:
                            chunks.append(chunk[: limit - (size - len(chunk))])
                            break
                        raise TooLarge(url, f"more than {limit} bytes")
                    chunks.append(chunk)
                    if time.monotonic() - started > self.policy.total_timeout:
                        raise FetchTimeout(url, f"response took more than {self.policy.total_timeout}s")
                return response.status_code, response_headers, b"".join(chunks), response.charset_encoding
        except httpx.TimeoutException as error:
            raise FetchTimeout(url, type(error).__name__) from error
        except httpx.TooManyRedirects as error:  # pragma: no cover - redirects are followed by hand
            raise TooManyRedirects(url) from error
        except (httpx.TransportError, httpx.InvalidURL) as error:
            raise ConnectionFailed(url, type(error).__name__) from error


def get_fetcher(**overrides) -> Fetcher:
    """The fetcher the settings choose (CAIM_FETCHER, an import path; HttpFetcher by default)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    path = getattr(settings, "CAIM_FETCHER", "caim.intake.fetch.HttpFetcher")
    return import_string(path)(**overrides)
