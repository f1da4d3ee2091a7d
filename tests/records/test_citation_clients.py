"""The citation downloads of a record, read by real clients: citeproc-py renders the CSL-JSON with a CSL style
(harvard-cite-them-right, the style citeproc-py ships), bibtexparser reads the BibTeX, and the RIS is read line
by line as reference managers do."""

from __future__ import annotations

import json

import bibtexparser
import pytest
from bibtexparser.middlewares import LatexDecodingMiddleware
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from caim.records.models import PublicRecord

SLUG = "air-canada-chatbot-bereavement-fare"


@pytest.fixture
def record(db) -> PublicRecord:
    return PublicRecord.objects.select_related("version").get(slug=SLUG)


def download(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Content-Disposition"].startswith("attachment;")
    return response.content.decode("utf-8")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_citeproc_renders_the_csl_json(client, record, lang):
    prefix = "/fr" if lang == "fr" else ""
    items = json.loads(download(client, f"{prefix}/incidents/{SLUG}/cite.csl.json"))
    assert len(items) == 1
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    bibliography.register(Citation([CitationItem(items[0]["id"])]))
    entries = [str(entry) for entry in bibliography.bibliography()]
    title = record.title(lang)
    assert len(entries) == 1 and title in entries[0]
    assert str(record.version.document["published_at"][:4]) in entries[0]
    assert items[0]["URL"].endswith(f"{prefix}/incidents/{SLUG}/v/{record.version_number}/")
    assert items[0]["URL"] in entries[0]


def test_bibtexparser_reads_one_entry(client, record):
    text = download(client, f"/incidents/{SLUG}/cite.bib")
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert library.failed_blocks == [] and len(library.entries) == 1
    entry = library.entries[0]
    fields = {name: field.value for name, field in entry.fields_dict.items()}
    assert entry.entry_type == "techreport"
    assert fields["title"] == record.title_en
    assert fields["year"] == record.version.document["published_at"][:4]
    assert fields["url"].endswith(f"/incidents/{SLUG}/v/{record.version_number}/")
    assert fields["number"] == str(record.pk) and fields["version"] == str(record.version_number)


def test_bibtex_special_characters_survive_a_parser(client, editor, reviewer, entities, clock):
    from tests import factories

    title = "Refunds 100% wrong: A&B's {bot} cost $5 for user_1 #2"
    record = factories.published_incident(editor, reviewer, clock, title_en=title)
    text = download(client, f"/incidents/{record.slug}/cite.bib")
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert library.failed_blocks == [] and len(library.entries) == 1
    assert library.entries[0].fields_dict["title"].value == title


def ris_records(text: str) -> list[list[tuple[str, str]]]:
    """RIS as a reader parses it: `TAG  - value` lines, a record from TY to ER."""
    records, current = [], None
    for line in text.splitlines():
        if not line.strip():
            continue
        tag, sep, value = line[:2], line[2:6], line[6:]
        assert sep == "  - " and tag.isalnum() and tag.isupper(), line
        if tag == "TY":
            assert current is None, "TY inside a record"
            current = []
        assert current is not None, f"{line!r} outside a record"
        current.append((tag, value))
        if tag == "ER":
            records.append(current)
            current = None
    assert current is None, "a record without ER"
    return records


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_ris_is_one_record_whose_title_is_the_title(client, record, lang):
    prefix = "/fr" if lang == "fr" else ""
    text = download(client, f"{prefix}/incidents/{SLUG}/cite.ris")
    assert "\r\n" in text
    records = ris_records(text)
    assert len(records) == 1
    fields = dict(records[0])
    assert records[0][0] == ("TY", "RPRT") and records[0][-1][0] == "ER"
    assert fields["TI"] == record.title(lang)
    assert fields["PY"] == record.version.document["published_at"][:4]
    assert fields["UR"].endswith(f"{prefix}/incidents/{SLUG}/v/{record.version_number}/")
