"""The editorial workspace through its forms, as an editor, a reviewer and a translator use it."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caim.records.models import AuditEvent, Entity, PublicRecord, Record, RecordVersion, Status
from tests import factories


def form_values(html: str, form_id: str = "record-form") -> dict:
    """What a browser would submit for a form of the page: inputs, textareas, selected options, checked boxes."""
    start = html.index(f'id="{form_id}"')
    form = html[start : html.index("</form>", start)]
    data: dict[str, list[str]] = {}

    def add(name, value):
        data.setdefault(name, []).append(value)

    for tag in re.finditer(r"<input\b([^>]*)>", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag.group(1)))
        kind = attrs.get("type", "text")
        if "name" not in attrs or kind in ("submit", "button"):
            continue
        if kind in ("checkbox", "radio"):
            if "checked" in tag.group(1):
                add(attrs["name"], attrs.get("value", "on"))
        else:
            add(attrs["name"], attrs.get("value", ""))
    for tag in re.finditer(r'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        add(tag.group(1), unescape(tag.group(2)).lstrip("\n"))
    for tag in re.finditer(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.findall(r'<option value="([^"]*)"[^>]*selected', tag.group(2))
        first = re.findall(r'<option value="([^"]*)"', tag.group(2))
        for value in chosen or first[:1]:
            add(tag.group(1), value)
    return {k: [unescape(x) for x in v] for k, v in data.items()}


def unescape(text: str) -> str:
    import html

    return html.unescape(text)


def post(client, url, values: dict, **changes):
    data = {**values, **{k: v if isinstance(v, list) else [v] for k, v in changes.items()}}
    return client.post(url, data)


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def test_a_draft_from_nothing_to_publication_through_the_forms(client, editor, reviewer, entities, signed_in):
    signed_in(editor)
    created = client.post("/staff/records/new/", {"type": "incident", "slug": "t-form-record",
                                                  "title_en": "Chatbot misled travellers", "original_language": "en"})  # fmt: skip
    record = Record.objects.get(slug="t-form-record")
    assert created.status_code == 302 and created["Location"] == f"/staff/records/{record.pk}/edit/"
    page = client.get(f"/staff/records/{record.pk}/edit/").content.decode()
    assert 'id="field-taxonomy.domains"' in page and 'name="sources-TOTAL_FORMS"' in page
    values = form_values(page)
    data = factories.incident_data()
    changes = {
        "title_fr": data["title_fr"], "summary_en": data["summary_en"], "summary_fr": data["summary_fr"],
        "narrative_en": data["narrative_en"], "narrative_fr": data["narrative_fr"], "severity": "significant",
        "verification": "confirmed", "occurred": "2024-11-01", "occurred_precision": "month",
        "domains": ["consumer_technology"], "harm_types": ["economic_harm"], "canada_nexus": "harm_in_canada",
        "sources-TOTAL_FORMS": "2",
        "harms-0-description_en": "Customers lost money.", "harms-0-harm_types": ["economic_harm"],
        "harms-0-severity": "minor", "entities-0-entity": "t-acme-ai", "entities-0-roles": ["deployer"],
    }  # fmt: skip
    for i, source in enumerate(data["sources"]):
        for key in (
            "citation_key",
            "source_type",
            "publisher",
            "title",
            "url",
            "date_published",
            "supports_en",
        ):
            changes[f"sources-{i}-{key}"] = source[key]
        changes[f"sources-{i}-date_precision"] = "day"
        changes[f"sources-{i}-language"] = "en"
    saved = post(client, f"/staff/records/{record.pk}/edit/", values, **changes)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    record.refresh_from_db()
    assert record.summary_en == data["summary_en"] and record.record_sources.count() == 2
    assert record.harms.get().harm_types == ["economic_harm"]
    assert record.record_entities.get().entity.slug == "t-acme-ai"

    # A bad value comes back on its field, and nothing is written.
    values = form_values(client.get(f"/staff/records/{record.pk}/edit/").content.decode())
    bad = post(client, f"/staff/records/{record.pk}/edit/", values, **{"sources-0-url": "ftp://nowhere"})
    assert bad.status_code == 400 and "is not an http(s) URL" in bad.content.decode()
    assert record.record_sources.get(number=1).source.url == data["sources"][0]["url"]

    client.post(f"/staff/records/{record.pk}/move/", {"status": "review"})
    assert Record.objects.get(pk=record.pk).status == Status.REVIEW
    # The editor cannot publish: no form, and a forged POST is refused (403) with nothing written.
    workspace = client.get(f"/staff/records/{record.pk}/").content.decode()
    assert f"/staff/records/{record.pk}/publish/" not in workspace
    forged = client.post(f"/staff/records/{record.pk}/publish/", {"changelog_en": "x", "changelog_fr": "y"})
    assert forged.status_code == 403 and not RecordVersion.objects.filter(record=record).exists()

    signed_in(reviewer)
    workspace = client.get(f"/staff/records/{record.pk}/").content.decode()
    assert f"/staff/records/{record.pk}/publish/" in workspace
    published = client.post(f"/staff/records/{record.pk}/publish/",
                            {"changelog_en": "First version.", "changelog_fr": "Première version."})  # fmt: skip
    assert published.status_code == 302
    assert PublicRecord.objects.get(pk=record.pk).version_number == 1
    assert client.get("/incidents/t-form-record/").status_code == 200


def test_the_author_who_reviews_sees_no_publish_button_and_is_refused(client, entities, clock, signed_in):
    both = factories.make_user("t-both-roles", "editor", "reviewer")
    record = factories.draft(both, "incident", factories.incident_data(), clock)
    signed_in(both)
    client.post(f"/staff/records/{record.pk}/move/", {"status": "review"})
    page = client.get(f"/staff/records/{record.pk}/").content.decode()
    assert f"/staff/records/{record.pk}/publish/" not in page and "another reviewer must approve it" in page
    events = AuditEvent.objects.count()
    forged = client.post(f"/staff/records/{record.pk}/publish/", {"changelog_en": "x", "changelog_fr": "y"})
    assert forged.status_code == 403
    assert not PublicRecord.objects.filter(pk=record.pk).exists() and AuditEvent.objects.count() == events


def test_a_stale_save_shows_the_conflict_and_keeps_the_text(client, editor, entities, clock, signed_in):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    signed_in(editor)
    values = form_values(client.get(f"/staff/records/{record.pk}/edit/").content.decode())
    theirs = post(client, f"/staff/records/{record.pk}/edit/", values, summary_en="Their summary.")
    assert theirs.status_code == 302
    mine = post(client, f"/staff/records/{record.pk}/edit/", values, summary_en="My careful summary.")
    page = mine.content.decode()
    assert mine.status_code == 409 and "Someone saved this record while you were editing" in page
    assert "My careful" in page and "Their" in page and 'id="h-conflict"' in page
    assert Record.objects.get(pk=record.pk).summary_en == "Their summary."
    again = post(
        client, f"/staff/records/{record.pk}/edit/", form_values(page), summary_en="My careful summary."
    )
    assert again.status_code == 302 and Record.objects.get(pk=record.pk).summary_en == "My careful summary."


def test_live_lint_checks_the_form_without_saving(client, editor, entities, clock, signed_in):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    signed_in(editor)
    values = form_values(client.get(f"/staff/records/{record.pk}/edit/").content.decode())
    lock = Record.objects.get(pk=record.pk).lock_version
    events = AuditEvent.objects.count()
    panel = post(client, f"/staff/records/{record.pk}/lint/", values, severity="",
                 narrative_en="It failed (RCMP 2025).")  # fmt: skip
    text = panel.content.decode()
    assert panel.status_code == 200 and 'href="#field-severity"' in text and "(as the form stands" in text
    assert "reads like a citation" in text
    assert Record.objects.get(pk=record.pk).lock_version == lock and AuditEvent.objects.count() == events
    assert Record.objects.get(pk=record.pk).severity == "significant"


def test_translator_view_edits_texts_of_every_part(client, translator, editor, entities, clock, signed_in):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    signed_in(translator)
    assert client.get(f"/staff/records/{record.pk}/edit/").status_code == 403
    page = client.get(f"/staff/records/{record.pk}/translate/").content.decode()
    assert 'name="harms-0-description_fr"' in page and 'name="sources-0-supports_fr"' in page
    values = form_values(page, form_id="translate-form") if 'id="translate-form"' in page else None
    assert values is not None
    saved = post(client, f"/staff/records/{record.pk}/translate/", values,
                 **{"harms-0-description_fr": "Des clients ont perdu de l'argent, selon l'organisme.",
                    "status-summary_fr": "machine"})  # fmt: skip
    assert saved.status_code == 302
    record.refresh_from_db()
    assert record.harms.get().description_fr.startswith("Des clients ont perdu de l'argent, selon")
    assert record.translation_status["summary_fr"] == "machine"
    # A forged change to a non-text field is refused and changes nothing.
    values = form_values(
        client.get(f"/staff/records/{record.pk}/translate/").content.decode(), "translate-form"
    )
    forged = post(client, f"/staff/records/{record.pk}/edit/", values, severity="critical")
    assert forged.status_code == 403 and Record.objects.get(pk=record.pk).severity == "significant"
    post(client, f"/staff/records/{record.pk}/translate/", values, severity="critical",
         **{"harms-0-severity": "critical"})  # fmt: skip
    assert (
        Record.objects.get(pk=record.pk).severity == "significant"
    )  # the translator's form carries texts only
    assert Record.objects.get(pk=record.pk).harms.get().severity == "minor"


def test_public_page_says_machine_translation_and_public_diff(client, editor, reviewer, entities, clock):
    record = factories.published_incident(editor, reviewer, clock,
                                          translation_status={"summary_fr": "machine"})  # fmt: skip
    fr = client.get(f"/fr/incidents/{record.slug}/").content.decode()
    assert "traduction automatique" in fr
    from caim.records import actions

    record.refresh_from_db()
    actions.update_record(record, actor=editor, expected_lock_version=record.lock_version,
                          data={"summary_en": "A corrected summary of the refunds."})  # fmt: skip
    actions.publish_record(
        record, actor=reviewer, changelog_en="Corrected.", changelog_fr="Corrigé.", clock=clock
    )
    page = client.get(f"/incidents/{record.slug}/").content.decode()
    assert f"/incidents/{record.slug}/diff/1/2/" in page
    diff = client.get(f"/incidents/{record.slug}/diff/1/2/").content.decode()
    assert "<ins>" in diff and "corrected" in diff.lower() and "Summary" in diff
    assert client.get(f"/incidents/{record.slug}/diff/1/9/").status_code == 404


@pytest.mark.parametrize("url", ["/staff/", "/staff/records/{pk}/", "/staff/records/{pk}/edit/"])
def test_staff_pages_have_a_fixed_number_of_queries(client, editor, reviewer, entities, clock, url):
    counts = []
    for extra in (1, 4):
        data = factories.incident_data()
        data["sources"] = data["sources"] + [
            {**data["sources"][0], "url": f"https://x.example.ca/{i}", "citation_key": f"X, 20{10 + i}",
             "background": True}
            for i in range(extra)
        ]  # fmt: skip
        record = factories.draft(editor, "incident", data, clock)
        client.force_login(editor)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url.format(pk=record.pk)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_entities_and_systems_are_created_and_found_from_the_editor(client, editor, entities, signed_in):
    signed_in(editor)
    made = client.post("/staff/entities/new/", {"name": "Office of the Privacy Commissioner of Test"},
                        headers={"HX-Request": "true"})  # fmt: skip
    assert made.status_code == 200 and "office-of-the-privacy-commissioner-of-test" in made.content.decode()
    assert Entity.objects.filter(slug="office-of-the-privacy-commissioner-of-test").exists()
    taken = client.post("/staff/entities/new/", {"name": "Office of the Privacy Commissioner of Test"},
                        headers={"HX-Request": "true"})  # fmt: skip
    assert (
        "is taken" in taken.content.decode()
        and Entity.objects.filter(name="Office of the Privacy Commissioner of Test").count() == 1
    )
    system = client.post("/staff/systems/new/", {"name": "Test Triage Model", "system_type": "chatbot"})
    assert system.status_code == 302
    found = client.get("/staff/systems/search/", {"q": "triage"}).content.decode()
    assert 'value="test-triage-model"' in found
    typed = client.get(
        "/staff/entities/search/", {"entities-0-entity": "privacy commissioner"}
    ).content.decode()
    assert 'value="office-of-the-privacy-commissioner-of-test"' in typed


def test_merging_entities_from_the_staff_pages(
    client, editor, reviewer, entities, clock, signed_in, incident
):
    from caim.records import actions

    loser = actions.create_entity(
        actor=editor, slug="t-acme-copy", name="Acme (copy)", kind="company", clock=clock
    )
    data = factories.incident_data()
    data["entities"][0]["slug"] = "t-acme-copy"
    other = factories.published_incident(editor, reviewer, clock, entities=data["entities"])
    signed_in(editor)
    done = client.post(f"/staff/entities/{loser.pk}/merge/", {"into": "t-acme-ai"})
    survivor = Entity.objects.get(slug="t-acme-ai")
    assert done.status_code == 302 and done["Location"] == f"/staff/entities/{survivor.pk}/"
    timeline = client.get(f"/staff/entities/{survivor.pk}/").content.decode()
    assert "entity.merged" in timeline and "entity.merged_into" in timeline and "t-acme-copy" in timeline
    assert client.get("/entities/t-acme-copy/")["Location"] == "/entities/t-acme-ai/"
    assert other.slug in client.get("/entities/t-acme-ai/").content.decode()


def test_staff_pages_in_french_with_the_monitors_name(client, editor, entities, clock, signed_in):
    record = factories.draft(editor, "incident", factories.incident_data(), clock)
    login = client.get("/fr/staff/login/").content.decode()
    assert (
        "Moniteur canadien des incidents d" in login
        and "127.0.0.1" not in login.split("<title>")[1].split("</title>")[0]
    )
    signed_in(editor)
    dashboard = client.get("/fr/staff/").content.decode()
    assert "Files d'attente" in dashboard and "Mon travail" in dashboard and "Tri<" in dashboard
    workspace = client.get(f"/fr/staff/records/{record.pk}/").content.decode()
    assert "Historique" in workspace and "a créé l&#x27;ébauche" in workspace
    edit = client.get(f"/fr/staff/records/{record.pk}/edit/").content.decode()
    assert "Enregistrer" in edit and "Titre (français)" in edit and "Gravité" in edit


def test_every_lint_issue_links_to_a_field_of_the_editor(client, editor, entities, clock, signed_in):
    from caim.records.actions import check_record

    broken = [
        factories.draft(editor, "incident", factories.incident_data(
            severity="", dispute="contested", dispute_note_en="", canada_nexus="", canada_nexus_note_en="A note.",
            canada_nexus_note_fr="", narrative_en="It failed (Nobody, 2025) and (RCMP 2025).", reported="2030-01-01",
            harms=[{"description_en": "Loss.", "harm_types": ["economic_harm"], "severity": "minor"}]), clock),
        factories.draft(editor, "hazard", factories.hazard_data(
            governance_gap_en="", governance_gap_fr="", confidence="", sources=[], harms=[]), clock),
    ]  # fmt: skip
    signed_in(editor)
    for record in broken:
        issues = check_record(record, today=clock.now().date())
        assert len(issues) >= 4
        page = client.get(f"/staff/records/{record.pk}/edit/").content.decode()
        for issue in issues:
            assert f'id="field-{issue.field}"' in page, (
                f"{issue.rule} names {issue.field}, not a field of the editor"
            )
