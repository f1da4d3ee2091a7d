""" "Possible duplicate" warnings in the record editor (SPEC §6.4): a new draft that cites a published record's
source, or repeats its title in either language, names that record; the editor loads the panel with htmx and
links to it without JavaScript."""

from __future__ import annotations

from caim.records.models import PublicRecord, Record
from tests import factories


def _panel(client, record, htmx=True) -> str:
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(f"/staff/records/{record.pk}/duplicates/", headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def test_a_draft_citing_a_published_source_names_the_record(client, editor, entities, clock):
    published = PublicRecord.objects.listed().filter(record_type="incident").first()
    cited = Record.objects.get(pk=published.pk).record_sources.select_related("source").first().source.url
    data = factories.incident_data(title_en="Completely different words about seasonal weather patterns")
    data["sources"][0]["url"] = cited + "?utm_source=newsletter"  # the same article, another address
    draft = factories.draft(editor, "incident", data, clock)
    client.force_login(editor)
    panel = _panel(client, draft)
    assert f'href="/staff/records/{published.pk}/"' in panel and "same article (address)" in panel
    assert f'href="/staff/records/{draft.pk}/"' not in panel  # never its own duplicate
    page = _panel(client, draft, htmx=False)  # without JavaScript: a page of its own
    assert "<h1>" in page and f'href="/staff/records/{published.pk}/"' in page


def test_a_french_title_repeated_is_a_possible_duplicate(client, editor, entities, clock):
    published = PublicRecord.objects.listed().exclude(title_fr="").first()
    data = factories.incident_data(title_en="", title_fr=published.title_fr)
    draft = factories.draft(editor, "incident", data, clock)
    client.force_login(editor)
    panel = _panel(client, draft)
    assert f'href="/staff/records/{published.pk}/"' in panel and "similar title" in panel


def test_an_unlike_draft_has_no_warning_and_the_editor_loads_the_panel(client, editor, entities, clock):
    data = factories.incident_data(title_en="Zebra crossings painted by a robot in Iqaluit harbour")
    data["sources"][0]["url"] = "https://unique.example.ca/zebra-robot"
    draft = factories.draft(editor, "incident", data, clock)
    client.force_login(editor)
    assert "No record or open lead looks like this one." in _panel(client, draft)
    editor_page = client.get(f"/staff/records/{draft.pk}/edit/").content.decode()
    assert f'hx-get="/staff/records/{draft.pk}/duplicates/"' in editor_page


def test_translators_and_visitors_do_not_see_the_panel(client, translator, editor, entities, clock):
    draft = factories.draft(editor, "incident", factories.incident_data(), clock)
    assert client.get(f"/staff/records/{draft.pk}/duplicates/").status_code == 302  # to the sign-in
    client.force_login(translator)
    assert client.get(f"/staff/records/{draft.pk}/duplicates/").status_code == 403
