"""What search engines read: robots.txt, a sitemap of both languages with hreflang, compressed answers."""

from __future__ import annotations

import gzip
import re

from caim.records.models import PublicRecord
from tests import factories


def test_robots_txt_keeps_robots_out_of_the_staff_area(client, db):
    text = client.get("/robots.txt").content.decode()
    assert "Disallow: /staff/" in text and "Sitemap: http://127.0.0.1:8000/sitemap.xml" in text


def test_the_sitemap_lists_every_listed_record_in_both_languages(client, editor, entities, clock):
    draft = factories.draft(editor, "incident", factories.incident_data(), clock)
    index = client.get("/sitemap.xml").content.decode()
    sections = re.findall(r"<loc>http://[^/]+(/sitemap-\w+\.xml[^<]*)</loc>", index)
    assert {s.split("?")[0] for s in sections} == {"/sitemap-pages.xml", "/sitemap-records.xml",
                                                    "/sitemap-entities.xml", "/sitemap-systems.xml"}  # fmt: skip
    records = client.get("/sitemap-records.xml").content.decode()
    public = PublicRecord.objects.listed().first()
    assert f"/incidents/{public.slug}/</loc>" in records or f"/hazards/{public.slug}/</loc>" in records
    assert f'hreflang="fr" href="http://127.0.0.1:8000/fr/{public.record_type}s/{public.slug}/"' in records
    assert draft.slug not in records
    assert records.count("<url>") == 2 * PublicRecord.objects.listed().count()


def test_text_answers_are_compressed(client, db):
    plain = client.get("/stats/")
    packed = client.get("/stats/", headers={"Accept-Encoding": "gzip"})
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content and len(packed.content) < len(plain.content) / 4


def test_sitemap_pages_are_djangos_and_the_index_counts_without_loading(client, db, monkeypatch):
    """Pages of (record, language) pairs sliced in the database hold what Django's own paginator gives, a
    record's two languages split across two pages included; the index only counts and dates the sections."""
    from django.contrib.sitemaps import Sitemap
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from caim.site import sitemaps

    for limit in (3, 7, 20000):
        monkeypatch.setattr(sitemaps.RecordsSitemap, "limit", limit)
        sitemap = sitemaps.RecordsSitemap()
        ours, djangos = sitemap.paginator, Sitemap.paginator.fget(sitemap)
        assert ours.count == djangos.count == 2 * PublicRecord.objects.listed().count()
        assert ours.num_pages == djangos.num_pages
        for number in djangos.page_range:
            pairs = lambda page: [(item.pk, lang) for item, lang in page.object_list]  # noqa: E731
            assert pairs(ours.page(number)) == pairs(djangos.page(number))
    monkeypatch.undo()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/sitemap.xml").status_code == 200
    loads = [q["sql"] for q in queries if "COUNT(" not in q["sql"].upper() and "MAX(" not in q["sql"].upper()]
    assert loads == [], loads
