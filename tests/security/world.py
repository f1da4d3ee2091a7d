"""A monitor with secrets in it: published records beside drafts, unpublished edits, leads, staff notes and
monitored sources, each unpublished text holding its own marker string, so that a leak names its field.

Everything is made through the actions, as editors, reviewers and the public would make it. Only the accounts
are written directly (no action creates users: `caim createuser` is a command), and the poller's steps
(`feed_lead`, `record_poll`) are called as the poller calls them, without a feed to fetch.

A marker is `qzleak-<name>-qz`: lowercase letters, digits and hyphens, which no escaping (HTML, JSON, CSV, XML,
URLs) changes, and a slug may hold. Search probes use the word `qzleak` alone, which finds every marker in an
index (words split at hyphens) and is never a marker itself, so a page that repeats the query is not a leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core import mail
from django.test import TestCase

from caim.intake import actions as intake
from caim.intake.models import DeclineReason, Lead, MonitoredSource, Origin
from caim.records import actions
from caim.records.clock import FixedClock
from caim.records.fields import CHILD_LISTS, PROSE, RECORD_FIELDS, TEXT, URL
from caim.records.models import AISystem, Entity, Record, Status
from caim.records.roles import ADMIN, EDITOR, REVIEWER, TRANSLATOR
from tests import factories

PREFIX, SUFFIX = "qzleak-", "-qz"
PROBE = "qzleak"  # the search word: it finds any marker in an index and is no marker itself

# What a marker stands for, and so where it may be shown.
UNPUBLISHED = "unpublished"  # staff may see it; the public never
CONTACT = "contact"  # a submitter's contact: staff holding a contact-reading role only (SPEC §3.5)
NEVER = "never"  # shown to no one: hashed addresses, status tokens and what they are made from

CLOCK = FixedClock(datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("America/Toronto")))
ADDRESS = "203.0.113.77"  # the submitter's address (TEST-NET-3)


class Markers:
    """Every marker of the world: {text: (name, kind)}."""

    def __init__(self):
        self.known: dict[str, tuple[str, str]] = {}

    def __call__(self, name: str, kind: str = UNPUBLISHED) -> str:
        text = f"{PREFIX}{name.replace('_', '-')}{SUFFIX}"
        assert text not in self.known, f"marker {name} made twice"
        self.known[text] = (name, kind)
        return text

    def url(self, name: str) -> str:
        return f"https://leak.example.org/{self(name)}"

    def secret(self, name: str, value: str, kind: str = NEVER) -> str:
        """A value that is not ours to shape (a hash, a token): found as it is."""
        assert value and value not in self.known
        self.known[value] = (name, kind)
        return value

    def named(self, name: str) -> str:
        return next(text for text, (n, _kind) in self.known.items() if n == name)


@dataclass
class World:
    markers: Markers
    users: dict[str, object]  # role (or "outsider") -> account
    incident: Record  # published twice, then edited in every text field
    hazard: Record  # the same, for a hazard; the incident materializes it
    withdrawn: Record  # edited, then withdrawn: its page stays, its edit never shows
    reverted: Record  # edited, then restored to its version 1 by a reviewer
    merged: Record  # published, edited, then merged into the incident (its address redirects there)
    public_slugs: dict[int, str]  # the published records' public slugs (their working copies are renamed)
    drafts: dict[str, Record]  # never published
    entity: Entity  # named by the published records
    system: AISystem
    draft_entity: Entity  # named only by drafts and unpublished edits
    draft_system: AISystem
    leads: dict[str, Lead]
    tokens: dict[str, str]  # lead name -> its status token
    source: MonitoredSource
    emails: list = field(default_factory=list)  # the status emails submitters received


# Valid values for the fields that are not text, per child list; the text fields get markers.
CHILD_BASE = {
    "harms": {"harm_types": ["economic_harm"], "severity": "minor", "reach": "group"},
    "sources": {
        "source_type": "media",
        "date_published": "2025-02-01",
        "date_precision": "day",
        "language": "en",
    },
    "entities": {"roles": ["developer"]},
    "systems": {},
    "responses": {"kind": "investigation", "date": "2025-03-04", "date_precision": "day"},
    "policy_recommendations": {},
    "mitigations": {"pathway": "performance_failure"},
}
TEXT_KINDS = (TEXT, PROSE)


def marked_fields(markers: Markers, label: str, record_type: str) -> dict:
    """A marker in every text field a record of this type declares (records/fields.py), in both languages."""
    data: dict = {}
    for f in RECORD_FIELDS:
        if f.kind in TEXT_KINDS and f.editable and f.applies_to(record_type):
            for key in f.attributes():
                data[key] = markers(f"{label}-{key}")
    data["private_persons"] = [markers(f"{label}-private-person")]
    data["same_as"] = [{"db": "wikidata", "id": markers(f"{label}-same-as-id"),
                        "url": markers.url(f"{label}-same-as-url")}]  # fmt: skip
    return data


def marked_item(markers: Markers, label: str, child: str, **values) -> dict:
    """One item of a child list: a marker in each of its text and address fields, valid values elsewhere."""
    item = {**CHILD_BASE[child], **values}
    for f in next(c for c in CHILD_LISTS if c.name == child).fields:
        if f.kind in TEXT_KINDS or f.kind == URL:
            for key in f.attributes():
                if key in values:
                    continue
                name = f"{label}-{child}-{key}"
                item[key] = markers.url(name) if f.kind == URL else markers(name)
    return item


def marked_children(markers: Markers, label: str, entity: Entity, system: AISystem, shared_url: str) -> dict:
    """Every child list the declaration has, with markers; one more source cites a published record's URL
    (the URL's row is shared, each record describes it in its own words)."""
    links = {
        "entities": {"slug": entity.slug},
        "systems": {"slug": system.slug},
        "responses": {"actor": entity.slug},
    }
    missing = [c.name for c in CHILD_LISTS if c.name not in CHILD_BASE]
    assert not missing, f"a new child list: give {missing} valid values in CHILD_BASE"
    out = {c.name: [marked_item(markers, label, c.name, **links.get(c.name, {}))] for c in CHILD_LISTS}
    out["sources"].append(marked_item(markers, f"{label}-shared", "sources", url=shared_url))
    return out


def accounts(markers: Markers) -> dict[str, object]:
    """Staff accounts named with markers: their names are staff business too."""
    users = {
        role: factories.make_user(markers(f"user-{role}"), role)
        for role in (EDITOR, REVIEWER, TRANSLATOR, ADMIN)
    }
    users["outsider"] = factories.make_user(markers("user-outsider"))
    return users


def edit(record: Record, actor, data: dict) -> Record:
    record.refresh_from_db()
    return actions.update_record(
        record, actor=actor, expected_lock_version=record.lock_version, data=data, clock=CLOCK
    )


def publish(record: Record, reviewer, note: str) -> None:
    actions.publish_record(
        record, actor=reviewer, changelog_en=note, changelog_fr=f"FR : {note}", clock=CLOCK
    )
    record.refresh_from_db()


def build_world() -> World:
    m = Markers()
    users = accounts(m)
    editor, reviewer, translator = users[EDITOR], users[REVIEWER], users[TRANSLATOR]

    # Entities and AI systems: two public (named by published records), two only in drafts.
    entity = actions.create_entity(
        actor=editor, slug="acc-acme-ai", name="Acme AI Inc.", kind="company", clock=CLOCK
    )
    regulator = actions.create_entity(actor=editor, slug="acc-regulator", name="Test Privacy Regulator",
                                      kind="regulator", clock=CLOCK)  # fmt: skip
    system = actions.create_system(actor=editor, slug="acc-assistant", name="Acme Assistant", system_type="chatbot",
                                   developer=entity, clock=CLOCK)  # fmt: skip
    # The jurisdiction column holds 12 characters: its marker is "qzleak-j-qz".
    draft_entity = actions.create_entity(
        actor=editor, slug=m("draft-entity-slug"), name=m("draft-entity-name"), name_fr=m("draft-entity-name-fr"),
        kind="company", jurisdiction=m("j"), aliases=[m("draft-entity-alias")],
        aliases_fr=[m("draft-entity-alias-fr")], description_en=m("draft-entity-description-en"),
        description_fr=m("draft-entity-description-fr"), same_as=[{"db": "wikidata", "id": m("draft-entity-same-as")}],
        clock=CLOCK,
    )  # fmt: skip
    draft_system = actions.create_system(
        actor=editor, slug=m("draft-system-slug"), name=m("draft-system-name"), name_fr=m("draft-system-name-fr"),
        system_type="chatbot", developer=draft_entity, description_en=m("draft-system-description-en"),
        description_fr=m("draft-system-description-fr"), clock=CLOCK,
    )  # fmt: skip

    # Published records: a hazard and an incident that materializes it, two versions each.
    named = {
        "entities": [
            {"slug": entity.slug, "roles": ["developer", "deployer"], "description_en": "Runs the assistant.",
             "description_fr": "Exploite l'assistant."},
            {"slug": regulator.slug, "roles": ["regulator"], "description_en": "Investigated.",
             "description_fr": "A enquêté."},
        ],
        "systems": [{"slug": system.slug, "involvement_en": "Gave the answers.",
                     "involvement_fr": "A donné les réponses."}],
        "responses": [{**factories.INCIDENT["responses"][0], "actor": regulator.slug}],
    }  # fmt: skip
    hazard = factories.draft(editor, "hazard", factories.hazard_data(), CLOCK, slug="acc-hazard")
    factories.submit_and_publish(hazard, editor, reviewer, CLOCK)
    incident_data = factories.incident_data(materialized_from=[hazard.slug], private_persons=[m("published-private-person")],
                                            **named)  # fmt: skip
    incident = factories.draft(editor, "incident", incident_data, CLOCK, slug="acc-incident")
    factories.submit_and_publish(incident, editor, reviewer, CLOCK)
    for record, text in ((hazard, "Regulators in two provinces found such failures (Test Regulator, 2025)."),
                         (incident, "The assistant gave wrong answers for a year (Daily News, 2025).")):  # fmt: skip
        edit(record, editor, {"narrative_en": text})
        publish(record, reviewer, "Clarified the narrative.")
    withdrawn = factories.draft(editor, "hazard", factories.hazard_data(), CLOCK, slug="acc-withdrawn")
    factories.submit_and_publish(withdrawn, editor, reviewer, CLOCK)
    reverted = factories.draft(editor, "incident", factories.incident_data(materialized_from=[hazard.slug], **named),
                               CLOCK, slug="acc-reverted")  # fmt: skip
    merged = factories.draft(editor, "incident", factories.incident_data(**named), CLOCK, slug="acc-merged")
    for record in (reverted, merged):
        factories.submit_and_publish(record, editor, reviewer, CLOCK)
    public_slugs = {r.pk: r.slug for r in (hazard, incident, withdrawn, reverted, merged)}
    shared_url = factories.SOURCES[0]["url"]

    # A title that lives only in the audit trail (the next edit replaces it).
    edit(incident, editor, {"title_en": m("audit-only-title")})
    # Unpublished edits of the published records: every text field, every child list, a rename.
    for record, label in ((incident, "pending-incident"), (hazard, "pending-hazard")):
        data = {**marked_fields(m, label, record.record_type),
                **marked_children(m, label, draft_entity, draft_system, shared_url),
                "slug": m(f"{label}-slug")}  # fmt: skip
        data["entities"] += named["entities"]
        edit(record, editor, data)
    edit(
        withdrawn, editor, {**marked_fields(m, "withdrawn-edit", "hazard"), "slug": m("withdrawn-edit-slug")}
    )
    actions.withdraw_record(withdrawn, actor=reviewer, reason_en="Out of scope after review.",
                            reason_fr="Hors du champ après examen.", clock=CLOCK)  # fmt: skip
    # A revert publishes an earlier version, whatever the working copy holds; a merge moves the loser's working
    # copy into the survivor's, to be reviewed there.
    for record, label in ((reverted, "reverted"), (merged, "merged")):
        edit(record, editor, {**marked_fields(m, label, "incident"), "slug": m(f"{label}-slug"),
                              **marked_children(m, label, draft_entity, draft_system, shared_url)})  # fmt: skip
    actions.revert_record(reverted, actor=reviewer, to_version=1, clock=CLOCK)
    actions.merge_records(merged, incident, actor=reviewer, clock=CLOCK)

    # Drafts never published: an incident linked to the public hazard, a hazard sent back by its reviewer.
    drafts = {}
    for record_type, label in (("incident", "draft-incident"), ("hazard", "draft-hazard")):
        data = {**marked_fields(m, label, record_type), **marked_children(m, label, draft_entity, draft_system,
                                                                          shared_url)}  # fmt: skip
        data.update(severity="significant", domains=["consumer_technology"], harm_types=["economic_harm"])
        if record_type == "incident":
            data.update(materialized_from=[hazard.slug], verification="reported", occurred="2025-01-01")
        drafts[label] = actions.create_draft(actor=editor, record_type=record_type, slug=m(f"{label}-slug"),
                                             data=data, clock=CLOCK)  # fmt: skip
    drafts["merged-draft"] = actions.create_draft(actor=editor, record_type="incident", slug=m("merged-draft-slug"),
                                                  data=marked_fields(m, "merged-draft", "incident"), clock=CLOCK)  # fmt: skip
    actions.merge_records(drafts["merged-draft"], incident, actor=reviewer, clock=CLOCK)
    actions.set_status(drafts["draft-hazard"], actor=editor, status=Status.REVIEW, clock=CLOCK)
    actions.return_record(drafts["draft-hazard"], actor=reviewer, comment=m("return-reason"), clock=CLOCK)
    actions.set_status(drafts["draft-incident"], actor=editor, status=Status.ASSESSMENT, clock=CLOCK)

    # Staff notes and assignments.
    actions.comment_record(incident, actor=translator, text=m("comment-on-published"), clock=CLOCK)
    actions.comment_record(drafts["draft-incident"], actor=editor, text=m("comment-on-draft"), clock=CLOCK)
    actions.assign_record(incident, actor=editor, assignee=translator, clock=CLOCK)

    # Leads, with the status emails their submitters get as each step commits (here: when the block ends).
    with TestCase.captureOnCommitCallbacks(execute=True):
        leads, tokens, source = make_leads(m, editor, incident, hazard, drafts)
    emails = list(getattr(mail, "outbox", []))
    for record in (incident, hazard, withdrawn, reverted, merged):
        record.refresh_from_db()
    return World(markers=m, users=users, incident=incident, hazard=hazard, withdrawn=withdrawn, reverted=reverted,
                 merged=merged,
                 public_slugs=public_slugs, drafts=drafts, entity=entity, system=system,
                 draft_entity=draft_entity, draft_system=draft_system, leads=leads, tokens=tokens,
                 source=source, emails=emails)  # fmt: skip


def make_leads(m: Markers, editor, incident: Record, hazard: Record, drafts: dict):
    """Public submissions, a correction request and a feed item, screened every way there is; a monitored
    source. Drafts made from leads go into `drafts`."""
    address = m.secret("lead-address-hash", intake.hash_address(ADDRESS))
    leads, tokens = {}, {}

    def submit(name: str, origin: str = Origin.SUBMISSION, record: Record | None = None) -> Lead:
        done = intake.submit_lead(
            origin=origin, raw_text=m(f"{name}-text"), urls=[m.url(f"{name}-url")], occurred=m(f"{name}-when")
            if origin == Origin.SUBMISSION else "", place=m(f"{name}-where") if origin == Origin.SUBMISSION else "",
            email=f"{m(f'{name}-email', CONTACT)}@example.org", consent=True, language="en", address_hash=address,
            record=record, clock=CLOCK,
        )  # fmt: skip
        leads[name], tokens[name] = done.lead, m.secret(f"{name}-status-token", done.token)
        m.secret(f"{name}-token-nonce", done.lead.token_nonce)
        m.secret(f"{name}-token-hash", done.lead.token_hash)
        return done.lead

    drafted = submit("lead-drafted")
    intake.start_screening(drafted, actor=editor, clock=CLOCK)
    drafts["from-lead"] = intake.draft_from_lead(drafted, actor=editor, record_type="incident",
                                                 slug=m("lead-draft-slug"), title_en=m("lead-draft-title-en"),
                                                 title_fr=m("lead-draft-title-fr"), clock=CLOCK)  # fmt: skip
    declined = submit("lead-declined")
    intake.decline_lead(declined, actor=editor, reason=DeclineReason.OUT_OF_SCOPE, note=m("lead-decline-note"),
                        clock=CLOCK)  # fmt: skip
    submit("lead-correction", Origin.CORRECTION, record=incident)
    attached = submit("lead-attached")
    intake.attach_lead(attached, actor=editor, record=incident, clock=CLOCK,
                       source=marked_item(m, "lead-attached", "sources"))  # fmt: skip

    source = intake.create_source(actor=editor, data={"kind": "keywords", "name": m("monitored-source-name"),
                                  "url": m.url("monitored-source-url"), "language": "en",
                                  "keywords": m("monitored-source-keyword"), "active": True}, clock=CLOCK)  # fmt: skip
    source = intake.update_source(source, actor=editor, data={"keywords": m("monitored-source-keyword-changed")},
                                  clock=CLOCK)  # fmt: skip
    intake.record_poll(
        source, counts={"new": 1, "leads": 1}, errors=[m("monitored-source-error")], clock=CLOCK
    )
    feed_url = m.url("feed-lead-url")
    leads["lead-feed"] = intake.feed_lead(
        source, url=feed_url, canonical=feed_url, title=m("feed-lead-title"), published="2026-03-01",
        text=m("feed-lead-text"), summary=m("feed-lead-summary"), language="en", extracted={},
        score=0.9, reasons=[m("feed-lead-reason")], clock=CLOCK,
    )  # fmt: skip
    drafts["feed-incident"] = intake.attach_as_incident(leads["lead-feed"], actor=editor, hazard=hazard,
                                                        slug=m("feed-incident-slug"),
                                                        title_en=m("feed-incident-title"), clock=CLOCK)  # fmt: skip
    return leads, tokens, source
