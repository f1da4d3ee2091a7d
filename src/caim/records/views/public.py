"""Public record pages: lists, record pages, earlier versions, citation downloads.

Everything here reads the public layer (PublicRecord and RecordVersion), which only publish and withdraw
write: a draft has no row there, so it cannot leak.
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from caim.i18n import page_language
from caim.params import is_number, parse_int
from caim.records import citations
from caim.records.models import PublicRecord, RecordVersion, RelatedRecord, SlugRedirect
from caim.records.presenters import RecordPage, record_url


def resolve_public(record_type: str, ident: str) -> PublicRecord | HttpResponsePermanentRedirect:
    """The public record named by slug (or id, or an old slug), or a redirect to its canonical URL."""
    if is_number(ident):
        pk = parse_int(ident, low=1)
        found = PublicRecord.objects.filter(pk=pk).only("record_type", "slug").first() if pk else None
        if found is None:
            raise Http404
        return HttpResponsePermanentRedirect(record_url(found.record_type, found.slug, page_language()))
    found = PublicRecord.objects.select_related("version").filter(slug=ident).first()
    if found is not None:
        if found.record_type != record_type:
            return HttpResponsePermanentRedirect(record_url(found.record_type, found.slug, page_language()))
        return found
    moved = SlugRedirect.objects.filter(old_slug=ident).values_list("record_id", flat=True).first()
    if moved:
        target = PublicRecord.objects.filter(pk=moved).only("record_type", "slug").first()
        if target:
            return HttpResponsePermanentRedirect(record_url(target.record_type, target.slug, page_language()))
    raise Http404


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
        page_language(),
        changelog=changelog,
        linked=linked,
        related=related,
        current_number=public.version_number,
        slug=public.slug,
        current_withdrawal=public.version.document.get("withdrawn") if public.withdrawn else None,
    )
    site_name = settings.CAIM_SITE_NAME_FR if page_language() == "fr" else settings.CAIM_SITE_NAME
    return render(
        request,
        "records/record_detail.html",
        {
            "page": page,
            "public": public,
            "citation": page.citation(site_name, settings.CAIM_SITE_URL),
            "correction_url": correction_mailto(public, page.version),
            "canonical_path": record_url(
                public.record_type,
                public.slug,
                page_language(),
                version=None if page.is_current else page.version,
            ),
        },
    )


def correction_mailto(public: PublicRecord, version: int) -> str:
    subject = _("Correction: %(title)s (record %(id)s, version %(n)s)") % {
        "title": public.title(page_language()),
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
    if isinstance(found, HttpResponsePermanentRedirect):  # an id or an old slug: to the canonical URL
        return HttpResponsePermanentRedirect(found.url + (f"v/{number}/" if number else "") + f"cite.{fmt}")
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
    page_lang = page_language()
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
