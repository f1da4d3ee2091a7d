"""Public record pages: lists, record pages, earlier versions, citation downloads.

Everything here reads the public layer (PublicRecord and RecordVersion), which only publish and withdraw
write: a draft has no row there, so it cannot leak.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from caim.i18n import page_language
from caim.records import citations
from caim.records.bilingual import RecordLink, pick
from caim.records.diff import diff_documents
from caim.records.models import PublicRecord, RecordVersion, RelatedRecord
from caim.records.presenters import RecordPage
from caim.records.queries import Found, listed
from caim.records.views.reuse import reused_per_state


def find_or_404(record_type: str, ident: str) -> Found:
    found = PublicRecord.objects.find(record_type, ident)
    if found is None:
        raise Http404
    return found


def to_canonical(found: Found, tail: str = "") -> HttpResponsePermanentRedirect:
    """A permanent redirect from an id, an old slug or the wrong type's path to the record's own address."""
    return HttpResponsePermanentRedirect(found.record.url(page_language()) + tail)


@require_safe
@reused_per_state
def record_detail(request, record_type: str, ident: str, number: int | None = None):
    found = find_or_404(record_type, ident)
    if not found.canonical:
        return to_canonical(found, f"v/{number}/" if number is not None else "")
    public = found.record
    version = public.version_at(number)
    if version is None:
        raise Http404
    changelog = list(
        RecordVersion.objects.filter(record_id=public.pk)
        .only("number", "published_at", "changelog_en", "changelog_fr", "kind")
        .order_by("number")
    )
    if public.record_type == "incident":
        linked = public.materialized_from.listed()
    else:
        linked = public.materialized_incidents.listed()
    linked = list(linked.order_by("-event_date", "-pk"))
    related = [
        link.related
        for link in RelatedRecord.objects.filter(listed("related__"), record=public)
        .select_related("related")
        .order_by("-score")
    ]
    return record_page(request, public, version, number, changelog=changelog, linked=linked, related=related)


def record_page(request, public: PublicRecord, version, number: int | None, *, changelog: list, linked: list,
                related: list, link=RecordLink) -> HttpResponse:  # fmt: skip
    """The page of `version` of `public` (asked for as `number`, None for the record's own address) in the page
    language, from its changelog, linked and related records: record_detail's answer, and the static export's,
    which reads those for many records at once and shares the rows of linked records between pages (`link`)."""
    lang = page_language()
    page = RecordPage(
        version.document,
        lang,
        changelog=changelog,
        linked=linked,
        related=related,
        current_number=public.version_number,
        slug=public.slug,
        current_withdrawal=public.version.document.get("withdrawn") if public.withdrawn else None,
        link=link,
    )
    site_name = settings.CAIM_SITE_NAME_FR if lang == "fr" else settings.CAIM_SITE_NAME
    request.alternates = {code: public.url(code, version=number) for code in ("en", "fr")}
    return render(
        request,
        "records/record_detail.html",
        {
            "page": page,
            "public": public,
            "citation": page.citation(site_name, settings.CAIM_SITE_URL),
            "correction_url": correction_url(public),
            "canonical_path": public.url(lang, version=None if page.is_current else page.version),
        },
    )


def correction_url(public: PublicRecord) -> str:
    """The record's "Suggest a correction" form (the intake app's, named in the URL map), in the page language.
    A link, not a form on the page: the page is the same for everyone (no form token), so it can be kept."""
    return reverse("intake:correction", args=[public.pk])


CITATION_FORMATS = {
    "csl.json": ("application/vnd.citationstyles.csl+json; charset=utf-8", citations.to_csl_json),
    "bib": ("application/x-bibtex; charset=utf-8", citations.to_bibtex),
    "ris": ("application/x-research-info-systems; charset=utf-8", citations.to_ris),
}


@require_safe
def record_citation(request, record_type: str, ident: str, fmt: str, number: int | None = None):
    found = find_or_404(record_type, ident)
    if not found.canonical:  # an id or an old slug: to the canonical URL
        return to_canonical(found, (f"v/{number}/" if number else "") + f"cite.{fmt}")
    if fmt not in CITATION_FORMATS:
        raise Http404
    found = found.record
    number = number or found.version_number
    version = found.version_at(number)
    if version is None:
        raise Http404
    page_lang = page_language()
    url = settings.CAIM_SITE_URL + found.url(page_lang, version=number)
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


@require_safe
def record_diff(request, record_type: str, ident: str, first: int, second: int):
    """What changed between two published versions of a record, field by field and word by word."""
    found = find_or_404(record_type, ident)
    if not found.canonical:
        return to_canonical(found, f"diff/{first}/{second}/")
    public = found.record
    versions = {
        v.number: v
        for v in RecordVersion.objects.filter(record_id=public.pk, number__in=(first, second)).only(
            "number", "document"
        )
    }
    if first not in versions or second not in versions or first == second:
        raise Http404
    lang = page_language()
    title = pick(versions[second].document, "title", lang)
    return render(
        request,
        "records/diff.html",
        {
            "public": public,
            "title": title,
            "first": first,
            "second": second,
            "changes": diff_documents(versions[first].document, versions[second].document),
            "record_url": public.url(lang),
        },
    )
