"""Security headers on every kind of answer: pages, the API, feeds, static files, error pages and staff pages.

The Content-Security-Policy is parsed, not matched as a string: scripts only from our origin (no 'unsafe-inline',
no 'unsafe-eval', no wildcard), no framing by other sites, no plugins, no <base> or form posts elsewhere. HTML
answers are also read for what such a policy would silently break (an inline script or event handler, a style
attribute), so that the policy and the pages stay in agreement. HSTS appears only when it is configured and the
request came over HTTPS. Cookie flags under production settings are in test_production.py (a real server)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client, override_settings

from tests import factories

SELF = "'self'"


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]} (each directive once)."""
    directives: dict[str, list[str]] = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} appears twice"
        directives[name] = sources
    return directives


class Inline(HTMLParser):
    """What a strict policy blocks in a page: inline scripts, event-handler attributes, style attributes,
    javascript: links."""

    DATA_SCRIPTS = {"application/json", "application/ld+json"}  # data, never executed

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._script = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script" and "src" not in values and values.get("type") not in self.DATA_SCRIPTS:
            self.found.append("inline <script>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name == "style":
                self.found.append(f"<{tag} style=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")


def assert_secure_headers(response, *, html: bool):
    csp = policy(response)
    assert csp["default-src"] == [SELF]
    scripts = csp.get("script-src", csp["default-src"])
    assert SELF in scripts
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
        assert unsafe not in scripts, f"script-src allows {unsafe}"
    assert csp["frame-ancestors"] in ([SELF], ["'none'"])
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] in ([SELF], ["'none'"])
    assert csp["form-action"] == [SELF]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response  # plain HTTP, nothing configured
    if html:
        assert response["X-Frame-Options"] == "DENY"
        body = b"".join(response.streaming_content) if response.streaming else response.content
        parser = Inline()
        parser.feed(body.decode())
        assert parser.found == []


@pytest.fixture
def public_urls(incident):
    return {
        "/": True,
        "/fr/": True,
        "/incidents/?severity=significant": True,
        f"/incidents/{incident.slug}/": True,
        f"/fr/incidents/{incident.slug}/": True,
        "/search/?q=chatbot": True,
        "/stats/": True,
        "/about/": True,
        "/submit/": True,
        "/api/": True,
        "/api/docs": True,
        "/api/v3/records?limit=2": False,
        f"/api/v3/records/{incident.slug}.json": False,
        "/api/v3/records.json": False,
        "/api/v3/openapi.json": False,
        "/api/v3/feed.json": False,
        "/feeds/records.atom": False,
        "/sitemap.xml": False,
        "/static/caim/site.css": False,
    }


def test_public_answers_of_every_kind_carry_the_headers(client, public_urls):
    for url, html in public_urls.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert_secure_headers(response, html=html)


def test_error_pages_carry_the_headers(client, db):
    not_found = client.get("/incidents/no-such-record/")
    assert not_found.status_code == 404
    assert_secure_headers(not_found, html=True)
    api_not_found = client.get("/api/v3/records/no-such-record.json")
    assert api_not_found.status_code == 404
    assert_secure_headers(api_not_found, html=False)
    bad = client.get("/incidents/?q=%00")
    assert bad.status_code == 400
    assert_secure_headers(bad, html=False)
    missing_static = client.get("/static/caim/no-such-file.css")
    assert missing_static.status_code == 404
    assert_secure_headers(missing_static, html=True)


@override_settings(ROOT_URLCONF="tests.security.urls_failing")
def test_the_500_page_carries_the_headers_and_no_detail(db):
    response = Client(raise_request_exception=False).get("/failing/")
    assert response.status_code == 500
    assert_secure_headers(response, html=True)
    assert b"a bug in a view" not in response.content and b"Traceback" not in response.content


def test_staff_pages_and_refusals_carry_the_headers(client, editor, incident):
    login = client.get("/staff/login/")
    assert login.status_code == 200
    assert_secure_headers(login, html=True)
    outsider = factories.make_user("t-headers-outsider")
    client.force_login(outsider)
    refused = client.get("/staff/")
    assert refused.status_code == 403
    assert_secure_headers(refused, html=True)
    client.force_login(editor)
    for url in ("/staff/", f"/staff/records/{incident.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_secure_headers(response, html=True)
        assert "no-store" in response["Cache-Control"]


def test_a_form_post_without_its_token_is_refused_with_the_headers(db):
    response = Client(enforce_csrf_checks=True).post("/staff/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert_secure_headers(response, html=False)  # Django's own refusal page (it holds an inline style)


def test_hsts_only_when_configured_and_only_over_https(db):
    assert "Strict-Transport-Security" not in Client().get("/", secure=True)
    # SecurityMiddleware reads its settings when a handler is built: a new Client for the new settings.
    with override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True):
        client = Client()
        assert (
            client.get("/", secure=True)["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        )
        assert "Strict-Transport-Security" not in client.get("/")  # never over plain HTTP (RFC 6797 §7.2)
