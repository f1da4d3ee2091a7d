"""Public record pages: lists, record pages, earlier versions, citation downloads.

Everything here reads the public layer (PublicRecord and RecordVersion), which only publish and withdraw
write: a draft has no row there, so it cannot leak.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from caim.records import citations
from caim.records.models import PublicRecord, RecordVersion, RelatedRecord, SlugRedirect
from caim.records.presenters import RecordPage, public_badges, record_url
from caim.taxonomy.loader import get_taxonomy

LIST_PAGE_SIZE = 25
# Query parameter -> (vocabulary, how it filters)
TAG_FILTERS = {
    "domain": "domain",
    "harm_type": "harm_type",
    "ai_pathway": "ai_pathway",
    "lifecycle_phase": "lifecycle_phase",
}
FIELD_FILTERS = {"severity": "severity", "verification": "verification", "hazard_status": "hazard_status"}


def lang() -> str:
    return "fr" if (get_language() or "en").startswith("fr") else "en"


def resolve_public(record_type: str, ident: str) -> PublicRecord | HttpResponsePermanentRedirect:
    """The public record named by slug (or id, or an old slug), or a redirect to its canonical URL."""
    if ident.isdigit():
        found = PublicRecord.objects.filter(pk=int(ident)).only("record_type", "slug").first()
        if found is None:
            raise Http404
        return HttpResponsePermanentRedirect(record_url(found.record_type, found.slug, lang()))
    found = PublicRecord.objects.select_related("version").filter(slug=ident).first()
    if found is not None:
        if found.record_type != record_type:
            return HttpResponsePermanentRedirect(record_url(found.record_type, found.slug, lang()))
        return found
    moved = SlugRedirect.objects.filter(old_slug=ident).values_list("record_id", flat=True).first()
    if moved:
        target = PublicRecord.objects.filter(pk=moved).only("record_type", "slug").first()
        if target:
            return HttpResponsePermanentRedirect(record_url(target.record_type, target.slug, lang()))
    raise Http404


@require_safe
def record_list(request, record_type: str):
    tax = get_taxonomy()
    page_lang = lang()
    qs = PublicRecord.objects.filter(withdrawn=False, record_type=record_type)
    active = []
    for param, vocabulary in TAG_FILTERS.items():
        value = request.GET.get(param)
        if value:
            if value not in tax[vocabulary]:
                return _bad_filter(request, record_type, param, value)
            qs = qs.filter(tags__vocabulary=vocabulary, tags__slug=value)
            active.append(
                (tax[vocabulary].label_in(page_lang), tax.label(vocabulary, value, page_lang), param)
            )
    for param, vocabulary in FIELD_FILTERS.items():
        value = request.GET.get(param)
        if value:
            if value not in tax[vocabulary]:
                return _bad_filter(request, record_type, param, value)
            qs = qs.filter(**{param: value})
            active.append(
                (tax[vocabulary].label_in(page_lang), tax.label(vocabulary, value, page_lang), param)
            )
    qs = qs.order_by("-event_date", "-pk").only(
        "slug",
        "record_type",
        "title_en",
        "title_fr",
        "summary_en",
        "summary_fr",
        "severity",
        "verification",
        "contested",
        "hazard_status",
        "confidence",
        "occurred",
        "occurred_precision",
        "event_date",
    )
    page = Paginator(qs, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = [
        {
            "record": p,
            "url": record_url(p.record_type, p.slug, page_lang),
            "badges": public_badges(p, page_lang),
            "title": p.title(page_lang),
            "title_fallback": page_lang == "fr" and not p.title_fr,
            "summary": (p.summary_fr if page_lang == "fr" and p.summary_fr else p.summary_en),
            "summary_fallback": page_lang == "fr" and not p.summary_fr,
        }
        for p in page.object_list
    ]
    removals = []
    for _label, _value, param in active:
        remaining = request.GET.copy()
        remaining.pop(param, None)
        remaining.pop("page", None)
        removals.append(remaining.urlencode())
    return render(
        request,
        "records/record_list.html",
        {
            "record_type": record_type,
            "page": page,
            "rows": rows,
            "active_filters": [(a[0], a[1], r) for a, r in zip(active, removals, strict=True)],
            "query": query.urlencode(),
        },
    )


def _bad_filter(request, record_type: str, param: str, value: str):
    message = _("“%(value)s” is not a valid value for the filter “%(param)s”.") % {
        "value": value,
        "param": param,
    }
    return render(
        request, "records/bad_filter.html", {"message": message, "record_type": record_type}, status=400
    )


@require_safe
def record_detail(request, record_type: str, ident: str, number: int | None = None):
    found = resolve_public(record_type, ident)
    if isinstance(found, HttpResponsePermanentRedirect):
        if number is not None:
            found = HttpResponsePermanentRedirect(found.url + f"v/{number}/")
        return found
    public = found
    if number is None or number == public.version_number:
        version = public.version
    else:
        version = RecordVersion.objects.filter(record_id=public.pk, number=number).first()
        if version is None:
            raise Http404
    changelog = list(
        RecordVersion.objects.filter(record_id=public.pk)
        .only("number", "published_at", "changelog_en", "changelog_fr", "kind")
        .order_by("number")
    )
    if public.record_type == "incident":
        linked = public.materialized_from.filter(withdrawn=False)
    else:
        linked = public.materialized_incidents.filter(withdrawn=False)
    linked = list(linked.order_by("-event_date", "-pk"))
    related = [
        link.related
        for link in RelatedRecord.objects.filter(record=public, related__withdrawn=False)
        .select_related("related")
        .order_by("-score")
    ]
    page = RecordPage(
        version.document,
        lang(),
        changelog=changelog,
        linked=linked,
        related=related,
        current_number=public.version_number,
    )
    site_name = settings.CAIM_SITE_NAME_FR if lang() == "fr" else settings.CAIM_SITE_NAME
    return render(
        request,
        "records/record_detail.html",
        {
            "page": page,
            "public": public,
            "citation": page.citation(site_name, settings.CAIM_SITE_URL),
            "correction_url": correction_mailto(public, page.version),
            "canonical_path": record_url(
                public.record_type, public.slug, lang(), version=None if page.is_current else page.version
            ),
        },
    )


def correction_mailto(public: PublicRecord, version: int) -> str:
    subject = _("Correction: %(title)s (record %(id)s, version %(n)s)") % {
        "title": public.title(lang()),
        "id": public.pk,
        "n": version,
    }
    return f"mailto:{settings.CAIM_CONTACT_EMAIL}?subject={quote(subject)}"


CITATION_FORMATS = {
    "csl.json": ("application/vnd.citationstyles.csl+json; charset=utf-8", citations.to_csl_json),
    "bib": ("application/x-bibtex; charset=utf-8", citations.to_bibtex),
    "ris": ("application/x-research-info-systems; charset=utf-8", citations.to_ris),
}


@require_safe
def record_citation(request, record_type: str, ident: str, fmt: str, number: int | None = None):
    found = resolve_public(record_type, ident)
    if isinstance(found, HttpResponsePermanentRedirect):
        raise Http404  # citations are only served at the canonical URL
    if fmt not in CITATION_FORMATS:
        raise Http404
    number = number or found.version_number
    version = (
        found.version
        if number == found.version_number
        else (RecordVersion.objects.filter(record_id=found.pk, number=number).first())
    )
    if version is None:
        raise Http404
    page_lang = lang()
    url = settings.CAIM_SITE_URL + record_url(found.record_type, found.slug, page_lang, version=number)
    site_name = settings.CAIM_SITE_NAME_FR if page_lang == "fr" else settings.CAIM_SITE_NAME
    item = citations.csl_item(
        version.document,
        lang=page_lang,
        url=url,
        site_name=site_name,
        accessed=timezone.localdate().isoformat(),
    )
    content_type, render_format = CITATION_FORMATS[fmt]
    response = HttpResponse(render_format(item), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.slug}-v{number}.{fmt}"'
    return response
