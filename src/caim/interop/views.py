"""One-record exports for other databases: OECD reporting framework fields and AIID submission JSON.

Served at `<record URL>oecd.json` and `aiid.json` (incidents only), current version or `v/<n>/`, in the page
language (`/fr/...` exports French texts). They read the public layer like the record pages (`find_or_404`):
drafts have no row there and answer 404; withdrawn records answer 404 too, as in the API, because a withdrawn
record is not to be reported elsewhere. Each export is a pure function of one version's public document.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse

from caim import prettyjson
from caim.api.http import json_endpoint
from caim.i18n import page_language
from caim.interop.exports.aiid import aiid_submission
from caim.interop.exports.oecd import oecd_export
from caim.records.views.public import find_or_404, to_canonical

FORMATS = ("oecd", "aiid")


def export_document(record_type: str, fmt: str, doc: dict, url: str, page_lang: str) -> dict:
    if fmt == "oecd":
        country = settings.CAIM_COUNTRY
        return oecd_export(doc, record_url=url, lang=page_lang, country=country)
    site_name = settings.CAIM_SITE_NAME_FR if page_lang == "fr" else settings.CAIM_SITE_NAME
    return aiid_submission(doc, record_url=url, lang=page_lang, site_name=site_name)


@json_endpoint
def record_export(request, record_type: str, ident: str, fmt: str, number: int | None = None):
    if fmt not in FORMATS or (fmt == "aiid" and record_type != "incident"):
        raise Http404
    found = find_or_404(record_type, ident)
    if not found.canonical:
        # an id or an old slug: the same export at the record's canonical URL (never a hazard's AIID export)
        if fmt == "aiid" and found.record.record_type != "incident":
            raise Http404
        return to_canonical(found, (f"v/{number}/" if number is not None else "") + f"{fmt}.json")
    found = found.record
    if found.withdrawn:
        raise Http404
    number = number or found.version_number
    version = found.version_at(number)
    if version is None:
        raise Http404
    page_lang = page_language()
    url = settings.CAIM_SITE_URL + found.url(page_lang, version=number)
    data = export_document(found.record_type, fmt, version.document, url, page_lang)
    response = HttpResponse(prettyjson.dumps(data) + "\n", content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"
    response["Content-Disposition"] = f'inline; filename="{found.slug}-v{number}.{fmt}.json"'
    return response
