"""The taxonomy page and /api/v3/taxonomy.json (SPEC §2): every vocabulary of the data file, in both languages.

Both read taxonomy.yaml only (no database query). The JSON is built once per loaded vocabulary file, with a
strong ETag, so a client revalidating with If-None-Match gets a 304 without a body.
"""

from __future__ import annotations

import hashlib
import json

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.http import require_safe

from caim.api.http import cacheable, json_endpoint, not_modified
from caim.site.lists import FACETS, page_language
from caim.taxonomy.loader import Taxonomy, get_taxonomy

# Vocabularies whose values link to a list filtered by them: vocabulary -> (list URL name, query parameter).
# The parameter names are those of caim.site.lists.FACETS; hazard-only facets link to the hazard list.
LINKED_VOCABULARIES = (
    "domain",
    "harm_type",
    "ai_pathway",
    "lifecycle_phase",
    "severity",
    "verification",
    "hazard_status",
    "confidence",
)
JSON_MAX_AGE = 300


def list_links() -> dict[str, tuple[str, str]]:
    facets = {f.vocabulary: f for f in FACETS if f.vocabulary}
    out = {}
    for vocabulary in LINKED_VOCABULARIES:
        facet = facets[vocabulary]
        url_name = "incident_list" if "incident" in facet.types else "hazard_list"
        out[vocabulary] = (url_name, facet.param)
    return out


def crosswalk_targets() -> tuple[tuple[str, str], ...]:
    return (("oecd", _("OECD AI Incidents Monitor")), ("aiid", _("AI Incident Database")))


def _crosswalks(value) -> list[dict]:
    out = []
    for target, name in crosswalk_targets():
        if target not in value.crosswalk:
            continue
        mapping = value.crosswalk[target]
        out.append(
            {
                "target": target,
                "name": name,
                "none": mapping is None,
                "fields": [
                    {"field": field, "values": ", ".join(values)} for field, values in (mapping or {}).items()
                ],
            }
        )
    return out


@require_safe
def taxonomy_page(request):
    lang = page_language()
    links = list_links()
    bases = {}
    with override(lang):
        for url_name in {name for name, _param in links.values()}:
            bases[url_name] = reverse(url_name)
    vocabularies = []
    for vocab in get_taxonomy().vocabularies.values():
        link = links.get(vocab.slug)
        vocabularies.append(
            {
                "slug": vocab.slug,
                "label": vocab.label_in(lang),
                "description": vocab.description.get(lang) or vocab.description["en"],
                "ordinal": vocab.ordinal,
                "list": link[0] if link else None,
                "values": [
                    {
                        "slug": value.slug,
                        "label": value.label_in(lang),
                        "definition": value.definition_in(lang),
                        "proposed": value.proposed,
                        "order": value.order if vocab.ordinal else None,
                        "url": f"{bases[link[0]]}?{link[1]}={value.slug}" if link else None,
                        "crosswalks": _crosswalks(value),
                    }
                    for value in vocab.values
                ],
            }
        )
    return render(request, "site/taxonomy.html", {"vocabularies": vocabularies})


_json_cache: tuple[Taxonomy, bytes, str] | None = None


def taxonomy_payload() -> tuple[bytes, str]:
    """(JSON body, strong ETag) of the current vocabulary file, computed once per loaded file."""
    global _json_cache
    taxonomy = get_taxonomy()
    if _json_cache is None or _json_cache[0] is not taxonomy:
        body = json.dumps(taxonomy.as_json(), ensure_ascii=False, separators=(",", ":")).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        _json_cache = (taxonomy, body, etag)
    return _json_cache[1], _json_cache[2]


@json_endpoint
def taxonomy_json(request):
    body, etag = taxonomy_payload()
    return not_modified(request, etag, JSON_MAX_AGE) or cacheable(
        HttpResponse(body, content_type="application/json"), etag, max_age=JSON_MAX_AGE
    )
