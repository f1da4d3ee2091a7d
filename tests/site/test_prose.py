"""Prose pages (about, methodology, standards, privacy) and the corrections log, in English and French."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from markdown_it import MarkdownIt

from caim.records import actions
from caim.records.formatting import format_day
from caim.records.models import RecordVersion, VersionKind
from caim.site import prose
from caim.site import views as site_views
from caim.site.prose import render_markdown
from caim.taxonomy.loader import get_taxonomy
from tests import factories

# path, English title, French title
PAGES = [
    ("/about/", "About the monitor", "À propos du moniteur"),
    ("/methodology/", "Methodology", "Méthodologie"),
    ("/standards/", "Editorial standards", "Normes éditoriales"),
    ("/privacy/", "Privacy", "Confidentialité"),
]
# Headings that other pages link to, by page: they must keep these ids in both languages.
HEADING_IDS = {
    "/about/": ["feedback"],
    "/methodology/": [
        "pipeline",
        "verification",
        "scope",
        "nexus",
        "privacy",
        "versions",
        "assessed",
        "vocabularies",
        "badges",
    ],
    "/standards/": [
        "sourcing",
        "citations",
        "neutrality",
        "assessed",
        "conflicts",
        "corrections",
        "translation",
    ],
    "/privacy/": ["reading", "submissions", "contact", "staff", "rights"],
}
STAGES = {
    "en": ["Intake", "Screening", "Verification", "Assessment", "Publication", "Synthesis"],
    "fr": ["Réception", "Présélection", "Vérification", "Évaluation", "Publication", "Synthèse"],
}


def html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def main(page: str) -> str:
    return page.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def text(value: str) -> str:
    """A text as the page shows it: escaped, with the no-break spaces of French typography as entities."""
    return escape(value).replace("\u00a0", "&nbsp;")


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(markup: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(markup)
    return parser.tags


def assert_no_inline_code_or_style(page: str) -> None:
    for tag, attrs in tags_of(page):
        assert "style" not in attrs, (tag, attrs)
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        assert tag != "style"
        assert tag != "script" or "src" in attrs, "inline script"


# -- prose pages ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "en_title", "fr_title"), PAGES)
def test_prose_page_in_both_languages(client, db, path, en_title, fr_title):
    en = html(client, path)
    fr = html(client, f"/fr{path}")
    assert '<html lang="en">' in en and f"<h1>{escape(en_title)}</h1>" in en
    assert f"<title>{escape(en_title)} · " in en
    assert '<html lang="fr">' in fr and f"<h1>{escape(fr_title)}</h1>" in fr
    assert f"<title>{escape(fr_title)} · " in fr
    for anchor in HEADING_IDS[path]:
        assert f'id="{anchor}"' in en and f'id="{anchor}"' in fr, anchor
    assert_no_inline_code_or_style(en)
    assert_no_inline_code_or_style(fr)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_prose_page_exists_in_both_languages(lang):
    for name in ("about", "methodology", "standards", "privacy"):
        page = prose.load_page(name, lang)
        assert page is not None, (name, lang)
        title, body = page
        assert title and len(body) > 1000


def test_french_pages_use_french_typography():
    """A no-break space before the high punctuation and inside guillemets; never a bare space."""
    for name in ("about", "methodology", "standards", "privacy"):
        source = (prose.CONTENT_DIR / "fr" / f"{name}.md").read_text(encoding="utf-8")
        source = re.sub(r"`[^`]*`", "", source)  # code keeps its own syntax
        assert not re.search(r" [:;!?]|« | »", source), name
        assert "«\u00a0" in (prose.CONTENT_DIR / "fr" / f"{name}.md").read_text(encoding="utf-8"), name


def test_footer_links_to_every_prose_page(client, db):
    for prefix in ("", "/fr"):
        page = html(client, f"{prefix}/")
        footer = page.split('<footer class="site-footer">', 1)[1]
        for path in ("/about/", "/methodology/", "/standards/", "/corrections/", "/privacy/"):
            assert f'href="{prefix}{path}"' in footer, (prefix, path)


def test_footer_labels_are_translated(client, db):
    """Needs the French catalogue entries of tmp-translations-prose.tsv."""
    footer = html(client, "/fr/").split('<footer class="site-footer">', 1)[1]
    for label in ("Méthodologie", "Normes éditoriales", "Corrections", "Confidentialité"):
        assert f">{label}</a>" in footer, label
    assert 'aria-label="À propos du moniteur"' in footer


def test_reading_the_site_sets_no_cookie(client, db):
    """What the privacy page promises: readers get no cookie."""
    for path in ("/", "/fr/", "/about/", "/methodology/", "/privacy/", "/corrections/", "/fr/corrections/"):
        response = client.get(path)
        assert response.status_code == 200 and not response.cookies, (path, response.cookies)


# -- methodology --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_methodology_has_the_six_stages_in_order(client, db, lang):
    page = html(client, "/methodology/" if lang == "en" else "/fr/methodology/")
    pipeline = page.split('id="pipeline"', 1)[1].split("</ol>", 1)[0]
    items = re.findall(r"<li><strong>([^<]+?)\.</strong>", pipeline)
    assert items == STAGES[lang]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_methodology_renders_the_vocabularies_from_the_data_file(client, db, lang):
    page = main(html(client, "/methodology/" if lang == "en" else "/fr/methodology/"))
    assert page.index('id="versions"') < page.index('<h2 id="vocabularies">')
    vocabularies = page.split('<h2 id="vocabularies">', 1)[1]
    taxonomy = get_taxonomy()
    for slug in site_views.METHODOLOGY_VOCABULARIES:
        vocab = taxonomy[slug]
        assert f'<h3 id="vocabulary-{slug}">{escape(vocab.label_in(lang))}</h3>' in vocabularies, slug
        section = vocabularies.split(f'id="vocabulary-{slug}"', 1)[1].split("</dl>", 1)[0]
        for value in vocab.values:
            assert f"<dt>{escape(value.label_in(lang))}" in section, (slug, value.slug)
            assert f"<dd>{escape(value.definition_in(lang))}</dd>" in section, (slug, value.slug)


def test_methodology_lists_every_verification_level_in_both_languages(client, db):
    en = html(client, "/methodology/")
    fr = html(client, "/fr/methodology/")
    for value in get_taxonomy()["verification"].values:
        assert f"<dt>{escape(value.label['en'])}" in en, value.slug
        assert f"<dt>{escape(value.label['fr'])}" in fr, value.slug
        assert escape(value.definition["fr"]) in fr and escape(value.definition["en"]) not in fr
    # The prose explains what each public level needs, with the same labels as the data file.
    table = fr.split('id="verification"', 1)[1].split("</table>", 1)[0]
    for slug in ("confirmed", "corroborated", "reported", "unverified", "refuted"):
        assert f"<strong>{escape(get_taxonomy()['verification'][slug].label['fr'])}</strong>" in table, slug


def test_methodology_vocabulary_heading_is_translated(client, db):
    """Needs the French catalogue entries of tmp-translations-prose.tsv."""
    assert '<h2 id="vocabularies">Vocabulaires contrôlés</h2>' in html(client, "/fr/methodology/")


def test_methodology_states_scope_and_nexus(client, db):
    en = html(client, "/methodology/")
    scope = en.split('id="scope"', 1)[1].split('id="nexus"', 1)[0]
    assert "machine learning" in scope and "human-written rules" in scope and "no material role" in scope
    nexus = en.split('id="nexus"', 1)[1].split('id="privacy"', 1)[0]
    assert nexus.count("<li>") == len(get_taxonomy()["canada_nexus"].values)


# -- corrections log ----------------------------------------------------------------------------------------------


def correct(record, editor, reviewer, clock, note_en: str, note_fr: str) -> RecordVersion:
    """Publish a correction of a public record through the actions, the way a reviewer does."""
    clock.advance(days=1)
    record.refresh_from_db()
    actions.update_record(
        record,
        actor=editor,
        expected_lock_version=record.lock_version,
        data={"summary_en": f"Corrected: {note_en}"},
        clock=clock,
    )
    return actions.publish_record(
        record,
        actor=reviewer,
        changelog_en=note_en,
        changelog_fr=note_fr,
        clock=clock,
        kind=VersionKind.CORRECTION,
    )


def test_corrections_page_lists_corrections_newest_first(client, editor, reviewer, incident, hazard, clock):
    first = correct(incident, editor, reviewer, clock, "Fixed the refund amount.", "Montant corrigé.")
    second = correct(hazard, editor, reviewer, clock, "Fixed the status date.", "Date du statut corrigée.")
    clock.advance(days=1)
    incident.refresh_from_db()
    actions.update_record(
        incident,
        actor=editor,
        expected_lock_version=incident.lock_version,
        data={"summary_en": "Update."},
        clock=clock,
    )
    actions.publish_record(
        incident,
        actor=reviewer,
        changelog_en="Added a source.",
        changelog_fr="Ajout d'une source.",
        clock=clock,
    )

    page = main(html(client, "/corrections/"))
    assert "Fixed the refund amount." in page and "Fixed the status date." in page
    assert page.index("Fixed the status date.") < page.index("Fixed the refund amount.")  # newest first
    assert "Added a source." not in page and "Initial publication." not in page  # not corrections
    assert f'href="/incidents/{incident.slug}/v/{first.number}/"' in page
    assert f'href="/hazards/{hazard.slug}/v/{second.number}/"' in page
    assert escape(factories.INCIDENT["title_en"]) in page
    assert format_day(first.published_at, "en") in page
    assert 'href="/methodology/#versions"' in page  # the intro links to the policy

    fr = html(client, "/fr/corrections/")
    assert '<html lang="fr">' in fr
    body = main(fr)
    assert "Montant corrigé." in body and "Fixed the refund amount." not in body
    assert escape(factories.INCIDENT["title_fr"]) in body
    assert f'href="/fr/incidents/{incident.slug}/v/{first.number}/"' in body
    assert format_day(first.published_at, "fr") in body
    assert 'href="/fr/methodology/#versions"' in body
    assert_no_inline_code_or_style(fr)


def test_corrections_page_title_is_translated(client, db):
    """Needs the French catalogue entries of tmp-translations-prose.tsv."""
    fr = html(client, "/fr/corrections/")
    assert "<h1>Journal des corrections</h1>" in fr and "<title>Journal des corrections · " in fr
    assert "<h1>Corrections log</h1>" in html(client, "/corrections/")


def test_corrections_page_never_shows_a_draft(client, editor, reviewer, incident, clock):
    correct(incident, editor, reviewer, clock, "Public correction note.", "Note de correction publique.")
    # An unpublished edit of a public record: the log keeps showing the published title.
    incident.refresh_from_db()
    actions.update_record(
        incident,
        actor=editor,
        expected_lock_version=incident.lock_version,
        data={"title_en": "Unpublished retitling", "title_fr": "Nouveau titre non publié"},
        clock=clock,
    )
    # A draft, with a correction version that never went through publication (no PublicRecord row).
    draft = factories.draft(
        editor,
        "incident",
        factories.incident_data(title_en="Secret draft title", title_fr="Titre secret"),
        clock,
    )
    RecordVersion.objects.create(
        record=draft,
        number=1,
        kind=VersionKind.CORRECTION,
        document={},
        changelog_en="Secret draft changelog.",
        changelog_fr="Journal secret de l'ébauche.",
        published_at=clock.now(),
    )
    for path in ("/corrections/", "/fr/corrections/"):
        page = html(client, path)
        for secret in ("Secret draft", "Titre secret", "Secret draft changelog", "secret de l", draft.slug):
            assert secret not in page, (path, secret)
        assert "Unpublished retitling" not in page and "Nouveau titre non publi" not in page
    assert "Public correction note." in html(client, "/corrections/")


def test_withdrawn_record_keeps_its_corrections_on_the_log(client, editor, reviewer, incident, clock):
    correct(incident, editor, reviewer, clock, "Corrected the dates.", "Dates corrigées.")
    actions.withdraw_record(incident, actor=reviewer, reason_en="Out of scope.", reason_fr="Hors champ.")
    page = main(html(client, "/corrections/"))
    assert "Corrected the dates." in page and escape(factories.INCIDENT["title_en"]) in page
    row = page.split("Corrected the dates.", 1)[0].rsplit("<tr>", 1)[1]
    assert "withdrawn" in row


def test_corrections_fall_back_to_english_marked(client, editor, reviewer, entities, clock):
    record = factories.published_incident(editor, reviewer, clock, title_fr="")
    version = correct(record, editor, reviewer, clock, "English note.", "Note française.")
    # Imported history may hold a changelog note in English only.
    RecordVersion.objects.create(
        record=record,
        number=version.number + 1,
        kind=VersionKind.CORRECTION,
        document=version.document,
        changelog_en="Only in English.",
        changelog_fr="",
        published_at=clock.now(),
    )
    page = main(html(client, "/fr/corrections/"))
    assert re.search(rf'<a href="/fr/incidents/{record.slug}/v/{version.number}/" lang="en">', page)
    assert '<span lang="en">Only in English.</span>' in page
    assert "Note française." in page


def test_corrections_page_is_paginated(client, editor, reviewer, incident, clock, monkeypatch):
    monkeypatch.setattr(site_views, "CORRECTIONS_PAGE_SIZE", 1)
    correct(incident, editor, reviewer, clock, "Older correction.", "Correction ancienne.")
    correct(incident, editor, reviewer, clock, "Newer correction.", "Correction récente.")
    first = main(html(client, "/corrections/"))
    assert "Newer correction." in first and "Older correction." not in first
    assert 'rel="next" href="?page=2"' in first
    second = main(html(client, "/corrections/?page=2"))
    assert "Older correction." in second and "Newer correction." not in second
    assert site_views.CORRECTIONS_PAGE_SIZE == 1


def test_corrections_page_size_is_fifty():
    assert site_views.CORRECTIONS_PAGE_SIZE == 50


@pytest.mark.parametrize("prefix", ["", "/fr"])
def test_corrections_query_count_is_constant(client, editor, reviewer, incident, hazard, clock, prefix):
    counts = []
    correct(incident, editor, reviewer, clock, "One.", "Un.")
    for extra in (0, 4):
        for i in range(extra):
            correct(hazard if i % 2 else incident, editor, reviewer, clock, f"More {i}.", f"Plus {i}.")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{prefix}/corrections/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts == [2, 2], counts  # count + page (versions with their public records)


# -- Markdown sanitising ------------------------------------------------------------------------------------------

HOSTILE = (
    "<script>alert('x')</script>\n\n"
    '<img src="x" onerror="alert(1)">\n\n'
    '<p onclick="alert(2)">Click</p>\n\n'
    "[bad link](javascript:alert(3))\n\n"
    "## A heading {#safe-id}\n"
)


def assert_harmless(markup: str) -> None:
    for tag, attrs in tags_of(markup):
        assert tag not in ("script", "img", "style", "iframe"), tag
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        assert not (attrs.get("href") or "").lower().startswith("javascript:"), attrs


def test_render_markdown_strips_scripts_and_event_handlers():
    markup = render_markdown(HOSTILE)
    assert_harmless(markup)
    assert "<script" not in markup and "<img" not in markup and 'href="javascript' not in markup
    assert "&lt;script&gt;" in markup  # raw HTML is shown as text, never run
    assert '<h2 id="safe-id">A heading</h2>' in markup


def test_sanitiser_strips_raw_html_even_when_markdown_lets_it_through(monkeypatch):
    """Second line of defence: with raw HTML enabled in the Markdown parser, nh3 still removes it."""
    monkeypatch.setattr(prose, "_markdown", MarkdownIt("commonmark", {"html": True}))
    markup = render_markdown(HOSTILE)
    assert_harmless(markup)
    assert "<script" not in markup and "alert('x')" not in markup and "onerror" not in markup
    assert "onclick" not in markup and "<p>Click</p>" in markup
