"""sitemap.xml (both languages, with hreflang alternates) and robots.txt: what search engines may index."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_safe

from caim.records.models import AISystem, Entity, PublicRecord
from caim.records.queries import listed


class _Bilingual(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    languages = [code for code, _name in settings.LANGUAGES]
    limit = 20000  # URLs per sitemap page (each has two languages; the protocol allows 50,000)
    protocol = urlsplit(settings.CAIM_SITE_URL).scheme or "https"

    def get_domain(self, site=None):
        """The monitor's public address (CAIM_SITE_URL), whatever host the request came through."""
        return urlsplit(settings.CAIM_SITE_URL).netloc

    @property
    def paginator(self):
        """Django's pages of (item, language) pairs, counted and sliced in the database: Django's own loads every
        item to count them, and the index only needs the number of pages."""
        return Paginator(_PerLanguage(self.items(), self.languages), self.limit)


class _PerLanguage(Sequence):
    """The (item, language) pairs of `items` (a query or a list), item by item, without loading them all."""

    def __init__(self, items, languages: list[str]) -> None:
        self.items, self.languages, self._count = items, languages, None

    def __len__(self) -> int:
        if self._count is None:
            count = self.items.count() if hasattr(self.items, "query") else len(self.items)
            self._count = count * len(self.languages)
        return self._count

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop, _step = index.indices(len(self))
        per = len(self.languages)
        first = start // per
        pairs = [(item, lang) for item in self.items[first : -(-stop // per)] for lang in self.languages]
        return pairs[start - first * per : stop - first * per]


class PagesSitemap(_Bilingual):
    changefreq = "daily"

    def items(self):
        return ["home", "incident_list", "hazard_list", "entity_list", "system_list", "stats", "taxonomy", "about",
                "methodology", "standards", "privacy", "corrections", "api_docs"]  # fmt: skip

    def location(self, item):
        return reverse(item)


class RecordsSitemap(_Bilingual):
    def __init__(self, ids=None):
        self.ids = ids  # only these records (record_entries); None: every listed record

    def items(self):
        records = PublicRecord.objects.listed().only("record_type", "slug", "published_at").order_by("pk")
        return records if self.ids is None else records.filter(pk__in=self.ids)

    def location(self, item):
        return item.get_absolute_url()

    def lastmod(self, item):
        return item.published_at

    def get_latest_lastmod(self):
        """What Django's default computes (the latest lastmod of the items) for the sitemap index, in one
        aggregate instead of loading every record a second time."""
        return self.items().aggregate(latest=Max("published_at"))["latest"]


class EntitiesSitemap(_Bilingual):
    def items(self):
        return Entity.objects.filter(listed("public_roles__record__")).distinct().only("slug").order_by("pk")

    def location(self, item):
        return reverse("entity_detail", args=[item.slug])


class SystemsSitemap(_Bilingual):
    def items(self):
        return (
            AISystem.objects.filter(listed("public_links__record__")).distinct().only("slug").order_by("pk")
        )

    def location(self, item):
        return reverse("system_detail", args=[item.slug])


def record_entries(ids) -> dict[int, bytes]:
    """The entries (a <url> per language, in the page's order) of each listed record of `ids` in
    /sitemap-records.xml, made by the same sitemap and template as the page (whose body is its head, the entries
    of its records in order, and its tail): the static export assembles the page from them (SPEC §8)."""
    sitemap = RecordsSitemap(ids=list(ids))
    urls = [url for number in sitemap.paginator.page_range for url in sitemap.get_urls(page=number)]
    by_record: dict[int, list] = {}
    for url in urls:
        by_record.setdefault(url["item"][0].pk, []).append(url)
    out = {}
    for pk, group in by_record.items():
        body = render_to_string("sitemap.xml", {"urlset": group}).encode()
        out[pk] = body[body.index(b"<url>") : body.rindex(b"</url>") + len(b"</url>")]
    return out


SITEMAPS = {
    "pages": PagesSitemap,
    "records": RecordsSitemap,
    "entities": EntitiesSitemap,
    "systems": SystemsSitemap,
}


@require_safe
def robots_txt(request):
    lines = ["User-agent: *", "Disallow: /staff/", "Disallow: /fr/staff/", "Disallow: /api/v3/records?",
             f"Sitemap: {settings.CAIM_SITE_URL}/sitemap.xml", ""]  # fmt: skip
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
