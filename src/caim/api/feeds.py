"""The JSON Feed (SPEC §5.1): the newest public records in JSON Feed 1.1, at /api/v3/feed.json (English) and
/fr/api/v3/feed.json (French texts, French record addresses).

Reads the public layer only: PublicRecord rows, and from each row's current version document its domains and its
withdrawal, taken by the database in the same query (JSON keys), so the items cost two queries (the newest listed
records, the newest withdrawals) whatever their number. A draft has no PublicRecord row and never appears. A
listed record is an item; a withdrawn one (or one merged into another) is a withdrawal item: its address with a
distinct id, the reason, the time of the withdrawal.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.db.models.fields.json import KeyTransform
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from caim.api.corpus import dumps
from caim.api.http import cacheable, json_endpoint, not_modified
from caim.i18n import page_language
from caim.records.models import PublicRecord, PublicState
from caim.records.queries import listed
from caim.taxonomy.loader import get_taxonomy

VERSION = "https://jsonfeed.org/version/1.1"
FEED_JSON = "application/feed+json; charset=utf-8"
FEED_SIZE = 100  # the newest items; older records are in records.json
COLUMNS = ("record_type", "slug", "title_en", "title_fr", "summary_en", "summary_fr", "severity",
           "verification", "hazard_status", "first_published_at", "published_at", "withdrawn")  # fmt: skip


def utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def feed_records(limit: int | None = None) -> list[PublicRecord]:
    """The newest public records, listed and withdrawn: a listed one dated by its first publication, a withdrawn
    one by its withdrawal (its item is news of that day). Two queries, each on an index whatever the corpus size;
    each record carries `feed_domains` and `feed_withdrawal` from its current version document."""
    limit = limit or FEED_SIZE
    records = PublicRecord.objects.annotate(
        feed_domains=KeyTransform("domains", KeyTransform("taxonomy", "version__document")),
        feed_withdrawal=KeyTransform("withdrawn", "version__document"),
    ).only(*COLUMNS)
    newest = list(records.listed().order_by("-first_published_at", "-pk")[:limit])
    newest += records.exclude(listed()).order_by("-published_at", "-pk")[:limit]
    return sorted(newest, key=lambda p: (feed_date(p), p.pk), reverse=True)[:limit]


def feed_date(public: PublicRecord) -> datetime:
    return public.published_at if public.withdrawn else public.first_published_at


def ordered_domains(slugs) -> list[str]:
    """Domain slugs in the order of the `domain` vocabulary (unknown ones last), each once."""
    order = {slug: i for i, slug in enumerate(get_taxonomy()["domain"].slugs())}
    return sorted(dict.fromkeys(slugs or []), key=lambda s: (order.get(s, len(order)), s))


def _summary(public: PublicRecord, lang: str) -> str:
    text = public.summary_fr if lang == "fr" else public.summary_en
    return text or public.summary_en or public.summary_fr


def feed_item(public: PublicRecord, lang: str) -> dict:
    url = settings.CAIM_SITE_URL + public.url(lang)
    tags = [public.record_type]
    if public.record_type == "hazard" and public.hazard_status:
        tags.append(f"status:{public.hazard_status}")
    tags += ordered_domains(public.feed_domains)
    item = {
        "id": url,
        "url": url,
        "title": public.title(lang),
        "content_text": _summary(public, lang),
        "date_published": utc(public.first_published_at),
        "date_modified": utc(public.published_at),
        "tags": tags,
        "_extra": {
            "type": public.record_type,
            "severity": public.severity or None,
            "verification": public.verification or None,
        },
    }
    if public.withdrawn:
        withdrawal = public.feed_withdrawal if isinstance(public.feed_withdrawal, dict) else {}
        reason = withdrawal.get(f"reason_{lang}") or withdrawal.get("reason_en") or ""
        item.update(
            {
                "id": f"{url}#withdrawn",
                "title": _("Withdrawn: %(title)s") % {"title": public.title(lang)},
                "content_text": reason,
                "date_published": utc(feed_date(public)),  # the withdrawal version's publication
                "date_modified": utc(public.published_at),
            }
        )
        item["_extra"]["withdrawn"] = True
    return item


def build_feed(lang: str, limit: int | None = None) -> dict:
    """The JSON Feed in `lang` ("en" or "fr"), from the public layer."""
    with override(lang):
        site = settings.CAIM_SITE_URL
        return {
            "version": VERSION,
            "title": settings.CAIM_SITE_NAME_FR if lang == "fr" else settings.CAIM_SITE_NAME,
            "description": _(
                "Public records of AI incidents and hazards, with sources, in English and French."
            ),
            "home_page_url": site + reverse("home"),
            "feed_url": site + reverse("feed_json"),
            "language": lang,
            "items": [feed_item(public, lang) for public in feed_records(limit)],
        }


@json_endpoint
def json_feed(request, lang: str | None = None):
    """The feed in the language of its address; the ETag is the public-layer token (one query for a 304)."""
    lang = lang or page_language()
    etag = f'"{PublicState.current() or "empty"}-feed-{lang}"'
    if answer := not_modified(request, etag):
        return answer
    return cacheable(HttpResponse(dumps(build_feed(lang)) + "\n", content_type=FEED_JSON), etag)
