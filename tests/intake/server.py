"""A local HTTP server for intake tests: fixture feeds and pages, and the misbehaviours the fetcher must survive.

Routes (BASE is http://127.0.0.1:<port>, written into the fixtures where they say {{BASE}}):
/robots.txt (disallows /private/), /feeds/<name>.xml, /articles/<en|fr|short>.html, /private/secret,
/slow (answers after SLOW_SECONDS), /slow-articles/<en|fr|short>.html (the article after
`server.article_delay` seconds, 3 by default), /trickle (ten bytes every 0.1 s for 1 s), /big (declared Content-Length over the limit), /big-stream (no length,
streamed past the limit), /loop/a <-> /loop/b (redirect loop), /redirect (to the EN article), /redirect-private (to /private/secret),
/redirect-ftp (to an ftp: URL), /redirect-nowhere (a 302 without Location), /flaky/<n> (503 the first n times, then the EN article), /always-500,
/not-found, /text.txt (a plain-text page).
Every request is logged (path, User-Agent, monotonic time) in `server.log`.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "intake"
SLOW_SECONDS = 1.0
BIG_BYTES = 200_000


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):  # quiet
        pass

    def _send(
        self, status: int, body: bytes = b"", content_type: str = "text/html; charset=utf-8", **headers
    ):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if "no_length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            if name != "no_length":
                self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _fixture(self, name: str) -> bytes:
        return (FIXTURES / name).read_bytes().replace(b"{{BASE}}", self.server.base.encode())

    def do_GET(self):  # noqa: C901 - a routing table
        server = self.server
        path = self.path.split("?", 1)[0]
        server.log.append((path, self.headers.get("User-Agent", ""), time.monotonic()))
        server.hits[path] = server.hits.get(path, 0) + 1
        if path == "/robots.txt":
            self._send(200, self._fixture("robots.txt"), "text/plain")
        elif path.startswith("/feeds/") and (FIXTURES / path[len("/feeds/") :]).exists():
            self._send(200, self._fixture(path[len("/feeds/") :]), "application/rss+xml; charset=utf-8")
        elif path.startswith("/articles/") and (FIXTURES / f"article-{path[len('/articles/') :]}").exists():
            self._send(200, self._fixture(f"article-{path[len('/articles/') :]}"))
        elif (
            path.startswith("/slow-articles/")
            and (FIXTURES / f"article-{path[len('/slow-articles/') :]}").exists()
        ):
            time.sleep(server.article_delay)
            self._send(200, self._fixture(f"article-{path[len('/slow-articles/') :]}"))
        elif path == "/private/secret":
            self._send(200, b"<title>secret</title>")
        elif path == "/slow":
            time.sleep(SLOW_SECONDS)
            self._send(200, b"<title>late</title>")
        elif path == "/big":
            self._send(200, b"x" * BIG_BYTES, "text/plain")
        elif path == "/big-stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            for _ in range(BIG_BYTES // 1000):
                self.wfile.write(b"y" * 1000)
        elif path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            for _ in range(10):
                self.wfile.write(b"z" * 10)
                self.wfile.flush()
                time.sleep(0.1)
        elif path == "/loop/a":
            self._send(302, Location="/loop/b")
        elif path == "/loop/b":
            self._send(302, Location=f"{server.base}/loop/a")
        elif path == "/redirect":
            self._send(301, Location="/articles/en.html")
        elif path == "/redirect-private":
            self._send(302, Location="/private/secret")
        elif path == "/redirect-nowhere":
            self._send(302, b"")
        elif path == "/redirect-ftp":
            self._send(302, Location="ftp://127.0.0.1/file")
        elif path.startswith("/flaky/"):
            if server.hits[path] <= int(path.rsplit("/", 1)[1]):
                self._send(503, b"busy")
            else:
                self._send(200, self._fixture("article-en.html"))
        elif path == "/always-500":
            self._send(500, b"broken")
        elif path == "/text.txt":
            self._send(200, b"plain text", "text/plain; charset=utf-8")
        else:
            self._send(404, b"not found")


class FixtureServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.log: list[tuple[str, str, float]] = []
        self.hits: dict[str, int] = {}
        self.article_delay = 3.0
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def handle_error(self, request, client_address):
        """A client that went away (a worker killed mid-request) is no error of the server's."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def url(self, path: str) -> str:
        return self.base + path

    def reset(self) -> None:
        self.log.clear()
        self.hits.clear()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()
