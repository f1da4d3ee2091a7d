"""The monitor's own deployment checks, run by `caim check --deploy` beside Django's (docs/deploy.md).

Django's checks know Django; these know what a public monitor needs that no Django setting says: the address its
citations and feeds give, limits that every worker shares, emails that reach submitters, a fetcher that cannot
be pointed at the server's own network. Each is a warning, as Django's deployment checks are, and `caim check`
fails on warnings. Registered by the site app (caim/site/apps.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "testserver"}  # noqa: S104 - names, not a bind
# Caches that live in one process (or nowhere): each worker would count sign-in failures and submissions alone.
UNSHARED_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
# Mail backends that never deliver: submitters would never hear what became of their report.
UNDELIVERED_MAIL = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)


def _local(host: str) -> bool:
    return host in LOCAL_HOSTS or host.endswith((".localhost", ".local", ".invalid", ".test"))


@register(Tags.security, deploy=True)
def check_environment(app_configs, **kwargs) -> list[Warning]:
    if settings.PRODUCTION:
        return []
    return [
        Warning(
            "CAIM_ENV is not 'production': DEBUG may be on and cookies are not marked Secure.",
            hint="Set CAIM_ENV=production (with its SECRET_KEY and ALLOWED_HOSTS) on the server.",
            id="caim.W001",
        )
    ]


@register(Tags.security, deploy=True)
def check_site_url(app_configs, **kwargs) -> list[Warning]:
    url = urlsplit(settings.CAIM_SITE_URL)
    host = (url.hostname or "").lower()
    problems = []
    if url.scheme != "https" or not host or _local(host):
        problems.append(
            Warning(
                f"CAIM_SITE_URL is {settings.CAIM_SITE_URL!r}: citations, feeds, the sitemap and canonical links "
                "give this address to the world.",
                hint="Set CAIM_SITE_URL to the monitor's public https:// address, e.g. https://monitor.example.org.",
                id="caim.W002",
            )
        )
    allowed = settings.ALLOWED_HOSTS
    if "*" in allowed:
        problems.append(
            Warning(
                "ALLOWED_HOSTS accepts any host name: a forged Host header then makes the addresses the site writes.",
                hint="List the monitor's own host names in ALLOWED_HOSTS.",
                id="caim.W003",
            )
        )
    elif host and not _local(host) and not any(_host_matches(host, pattern) for pattern in allowed):
        problems.append(
            Warning(
                f"The host of CAIM_SITE_URL ({host}) is not in ALLOWED_HOSTS: every request to the public "
                "address would be answered 400.",
                hint=f"Add {host} to ALLOWED_HOSTS.",
                id="caim.W004",
            )
        )
    return problems


def _host_matches(host: str, pattern: str) -> bool:
    pattern = pattern.lower()
    if pattern.startswith("."):  # Django's subdomain wildcard
        return host == pattern[1:] or host.endswith(pattern)
    return host == pattern


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs, **kwargs) -> list[Warning]:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend not in UNSHARED_CACHES:
        return []
    return [
        Warning(
            f"The default cache ({backend}) is not shared by the server's workers: each would keep its own count "
            "of failed sign-ins and of submissions, multiplying the limits.",
            hint="Use the database cache (the default, created by `caim migrate`) or CACHE_URL=redis://...",
            id="caim.W005",
        )
    ]


@register(Tags.security, deploy=True)
def check_mail(app_configs, **kwargs) -> list[Warning]:
    problems = []
    if settings.EMAIL_BACKEND in UNDELIVERED_MAIL:
        problems.append(
            Warning(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}: status emails to people who report incidents are "
                "never delivered.",
                hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST (docs/deploy.md).",
                id="caim.W006",
            )
        )
    for name in ("DEFAULT_FROM_EMAIL", "CAIM_CONTACT_EMAIL"):
        address = getattr(settings, name)
        domain = address.rpartition("@")[2].strip(">").lower()
        if not domain or _local(domain):
            problems.append(
                Warning(
                    f"{name} is {address!r}, an address nobody outside this machine can write to or trust.",
                    hint=f"Set {name} to an address of the monitor's own domain.",
                    id="caim.W007",
                )
            )
    return problems


@register(Tags.security, deploy=True)
def check_fetcher(app_configs, **kwargs) -> list[Warning]:
    if not settings.CAIM_FETCH_ALLOW_PRIVATE:
        return []
    return [
        Warning(
            "CAIM_FETCH_ALLOW_PRIVATE is on: public submissions carry URLs, and the fetcher would request "
            "addresses on the server's own network.",
            hint="Unset CAIM_FETCH_ALLOW_PRIVATE in production.",
            id="caim.W008",
        )
    ]
