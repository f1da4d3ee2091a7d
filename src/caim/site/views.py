"""Home page and prose pages."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from caim.records.models import PublicRecord
from caim.records.presenters import public_badges, record_url
from caim.site.prose import load_page

HOME_LATEST = 8


def _lang() -> str:
    return "fr" if (get_language() or "en").startswith("fr") else "en"


def _rows(records, lang):
    return [
        {
            "url": record_url(p.record_type, p.slug, lang),
            "title": p.title(lang),
            "title_fallback": lang == "fr" and not p.title_fr,
            "badges": public_badges(p, lang),
            "record": p,
        }
        for p in records
    ]


@require_safe
def home(request):
    lang = _lang()
    public = PublicRecord.objects.filter(withdrawn=False)
    counts = {row["record_type"]: row["n"] for row in _count_by_type(public)}
    latest = public.order_by("-first_published_at", "-pk")[:HOME_LATEST]
    watch = public.filter(Q(hazard_status="escalating") | Q(severity="critical"), record_type="hazard")
    watch = watch.order_by("-severity_rank", "-published_at")[:6]
    return render(
        request,
        "site/home.html",
        {
            "incident_count": counts.get("incident", 0),
            "hazard_count": counts.get("hazard", 0),
            "latest": _rows(latest, lang),
            "watch": _rows(watch, lang),
        },
    )


def _count_by_type(qs):
    return qs.values("record_type").annotate(n=Count("pk")).order_by()


@require_safe
def prose(request, name: str):
    page = load_page(name, _lang()) or load_page(name, "en")
    if page is None:
        raise Http404
    title, html = page
    return render(request, "site/prose.html", {"title": title, "body": html, "name": name})
