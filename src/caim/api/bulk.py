"""The bulk downloads (SPEC §5.3): every listed record as CSV and as JSON lines, their sources, the entities
they name.

They read the public layer only (listed records and their current version documents), so a draft or a
withdrawn record is never in them. Like records.json, each file is written once per state of the public layer
and then served from disk (api/files.py), so 100,000 records never hold a worker for long.

In the CSV files a list (domains, entities, ...) is one cell: its values (slugs, which hold neither spaces nor
"|") joined by " | ". The licence travels beside the data, not in it: the HTTP `Link` header
(`rel="license"`) and a companion LICENCE.txt (docs/decisions.md says why).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db.models import Count

from caim.api.corpus import CHUNK, dumps, materialized_incidents, public_records, record_entry
from caim.records.models import Entity, PublicRecord
from caim.records.queries import listed

LIST_SEPARATOR = " | "
LICENCE_NAME = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_PATH = "/api/v3/bulk/LICENCE.txt"

RECORD_COLUMNS = ("id", "type", "slug", "url", "url_fr", "title_en", "title_fr", "summary_en", "summary_fr",
                  "severity", "verification", "hazard_status", "confidence", "occurred", "occurred_precision",
                  "reported", "identified", "identified_precision", "domains", "harm_types", "ai_pathways",
                  "lifecycle_phases", "provinces", "entities", "systems", "source_count", "version", "first_published_at",
                  "published_at")  # fmt: skip
TAXONOMY_COLUMNS = ("domains", "harm_types", "ai_pathways", "lifecycle_phases")
SOURCE_COLUMNS = ("record_id", "number", "citation_key", "source_type", "publisher", "title", "url",
                  "date_published", "date_precision", "language")  # fmt: skip
ENTITY_COLUMNS = ("slug", "name", "kind", "jurisdiction", "record_count")


class _Line:
    """A file-like object whose write returns the text, so that a csv.writer makes strings (rows) to yield."""

    def write(self, text: str) -> str:
        return text


class CsvLines:
    """CSV rows as strings (RFC 4180: quoted when needed, CRLF line ends)."""

    def __init__(self):
        self._writer = csv.writer(_Line())

    def row(self, values: Iterable) -> str:
        return self._writer.writerow([cell(v) for v in values])


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str | int | float:
    """A CSV cell; text that a spreadsheet would run as a formula ("=HYPERLINK(...)") starts with an apostrophe,
    so opening a download never executes what a record's text says."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def joined(values: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(values)


def record_row(entry: dict) -> list:
    """A record's CSV row (RECORD_COLUMNS) from its entry in records.json (corpus.record_entry)."""
    taxonomy = entry.get("taxonomy") or {}
    values = {
        **{name: entry.get(name) for name in RECORD_COLUMNS},
        **{name: joined(taxonomy.get(name) or []) for name in TAXONOMY_COLUMNS},
        "provinces": joined((entry.get("canada_nexus") or {}).get("provinces") or []),
        "entities": joined(e["slug"] for e in entry.get("entities", [])),
        "systems": joined(s["slug"] for s in entry.get("systems", [])),
    }
    return [values[name] for name in RECORD_COLUMNS]


def licence() -> dict:
    """The licence notice of every download, as the JSON downloads state it."""
    return {
        "name": LICENCE_NAME,
        "url": LICENCE_URL,
        "attribution": f"{settings.CAIM_SITE_NAME}, {settings.CAIM_SITE_URL}/",
        "notice": settings.CAIM_SITE_URL + LICENCE_PATH,
    }


def licence_link() -> str:
    """The HTTP `Link` header of every download: the licence, and the notice that explains the files."""
    return f'<{LICENCE_URL}>; rel="license", <{settings.CAIM_SITE_URL}{LICENCE_PATH}>; rel="describedby"'


def with_licence(response):
    """`response` with the licence `Link` header."""
    response["Link"] = licence_link()
    return response


def licence_text() -> str:
    """LICENCE.txt: the notice of the bulk files and of the list downloads, in English and French."""
    site, site_fr, url = settings.CAIM_SITE_NAME, settings.CAIM_SITE_NAME_FR, settings.CAIM_SITE_URL
    return f"""{site}: bulk downloads

The records in these files are published by the {site} ({url}/)
under the Creative Commons Attribution 4.0 International licence (CC BY 4.0): {LICENCE_URL}
You may share and adapt them, for any purpose, if you credit "{site}", link to {url}/
and to the licence, and say whether you changed them. Cite a record by its id and version (its page offers
CSL-JSON, BibTeX and RIS citations).

Files ({url}/api/v3/bulk/): records.csv (one row per record), records.jsonl (one record per line,
as in /api/v3/records.json), sources.csv (one row per source of a record), entities.csv (the entities the
records name), and the downloads of the incident and hazard lists. In the CSV files, a cell that holds a list
separates its values with "{LIST_SEPARATOR}" (space, vertical bar, space).
Sources remain the work of their publishers: the files give their citations, not their content.
Drafts, withdrawn records and staff-only fields are never included. More: {url}/api/

---

{site_fr} : téléchargements en bloc

Les fiches de ces fichiers sont publiées par le {site_fr} ({url}/fr/)
sous la licence Creative Commons Attribution 4.0 International (CC BY 4.0) : {LICENCE_URL}deed.fr
Vous pouvez les partager et les adapter, à toute fin, si vous citez « {site_fr} », donnez
le lien vers {url}/fr/ et vers la licence, et indiquez si vous les avez modifiées. Citez une fiche par son
identifiant et sa version (sa page offre des citations CSL-JSON, BibTeX et RIS).

Fichiers ({url}/api/v3/bulk/) : records.csv (une ligne par fiche), records.jsonl (une fiche par
ligne, comme dans /api/v3/records.json), sources.csv (une ligne par source d'une fiche), entities.csv (les
entités que les fiches nomment), ainsi que les téléchargements des listes d'incidents et de dangers. Dans les
fichiers CSV, une cellule qui contient une liste sépare ses valeurs par "{LIST_SEPARATOR}" (espace, barre
verticale, espace).
Les sources restent l'œuvre de leurs éditeurs : les fichiers en donnent la référence, pas le contenu.
Les ébauches, les fiches retirées et les champs réservés à l'équipe n'y figurent jamais. Plus : {url}/fr/api/
"""


def chunks() -> Iterator[list[PublicRecord]]:
    """The listed records with their current version, in id order, CHUNK at a time (memory stays flat)."""
    last_pk = 0
    while chunk := list(public_records().filter(pk__gt=last_pk)[:CHUNK]):
        yield chunk
        last_pk = chunk[-1].pk


def entries(publics: list[PublicRecord]) -> Iterator[dict]:
    """The records.json entries of `publics` (one query for the incidents of the hazards among them)."""
    incidents = materialized_incidents([p.pk for p in publics if p.record_type == "hazard"])
    for public in publics:
        yield record_entry(public, public.version.document, incidents.get(public.pk))


def iter_records_csv() -> Iterator[str]:
    lines = CsvLines()
    yield lines.row(RECORD_COLUMNS)
    for chunk in chunks():
        yield "".join(lines.row(record_row(entry)) for entry in entries(chunk))


def iter_records_jsonl() -> Iterator[str]:
    for chunk in chunks():
        yield "".join(dumps(entry) + "\n" for entry in entries(chunk))


def iter_sources_csv() -> Iterator[str]:
    lines = CsvLines()
    yield lines.row(SOURCE_COLUMNS)
    for chunk in chunks():
        yield "".join(
            lines.row([public.pk, *(source.get(name) for name in SOURCE_COLUMNS[1:])])
            for public in chunk
            for source in public.version.document["sources"]
        )


def iter_entities_csv() -> Iterator[str]:
    """Entities named in at least one listed record, by slug, with the number of those records."""
    lines = CsvLines()
    yield lines.row(ENTITY_COLUMNS)
    named = (
        Entity.objects.annotate(
            record_count=Count("public_roles__record", distinct=True, filter=listed("public_roles__record__"))
        )
        .filter(record_count__gt=0)
        .order_by("slug")
        .values_list(*ENTITY_COLUMNS)
    )
    for row in named.iterator(chunk_size=2000):
        yield lines.row(row)


# URL file name -> (name of the file on disk, builder, content type)
FILES = {
    "records.csv": ("bulk-records-csv", iter_records_csv, "text/csv; charset=utf-8"),
    "records.jsonl": ("bulk-records-jsonl", iter_records_jsonl, "application/x-ndjson"),
    "sources.csv": ("bulk-sources-csv", iter_sources_csv, "text/csv; charset=utf-8"),
    "entities.csv": ("bulk-entities-csv", iter_entities_csv, "text/csv; charset=utf-8"),
}
