"""The invariant of the monitor, over random sequences of editorial actions: every public output holds
reviewed content only.

A state machine edits drafts of several records that share source URLs and hazards (each edit carries a
unique marker string), renames them, links incidents to hazards, publishes and reverts. The model remembers
what each record held when a reviewer approved it. After every step the public documents equal that reviewed
content exactly, and after every publication every public output (pages in both languages, earlier versions,
API files, exports, lists, search) holds no marker that never went through a publication.
"""

from __future__ import annotations

import copy
import itertools
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from caim.records import actions
from caim.records.clock import FixedClock
from caim.records.models import PublicRecord, Record, Status
from caim.site import listindex
from tests import factories

MARKER_RE = re.compile(r"mkr\d+z")
URLS = [f"https://shared.example.ca/story-{n}" for n in range(3)]
TEXT_FIELDS = ["title_en", "title_fr", "summary_en", "summary_fr"]


# Outputs about the whole corpus: lists, search, feeds, the query API, derived files, bulk files and downloads.
CORPUS_OUTPUTS = (
    "/incidents/", "/hazards/", "/fr/incidents/", "/search/?q=mkr", "/fr/search/?q=mkr",
    "/incidents/download.csv", "/hazards/download.json",
    "/api/v3/records.json", "/api/v3/stats.json", "/api/v3/graph.json", "/api/v3/systemic-analysis.json",
    "/api/v3/records?limit=100", "/api/v3/search?q=mkr", "/api/v3/entities?limit=100",
    "/api/v3/feed.json", "/feeds/records.atom", "/fr/feeds/records.atom",
    "/api/v3/bulk/records.csv", "/api/v3/bulk/records.jsonl", "/api/v3/bulk/sources.csv",
    "/api/v3/bulk/entities.csv",
)  # fmt: skip


class ReviewedOnly(RuleBasedStateMachine):
    records = Bundle("records")

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()  # each example runs in a savepoint, rolled back at teardown
        self.editor = factories.make_user("sm-editor", "editor")
        self.reviewer = factories.make_user("sm-reviewer", "reviewer")
        factories.make_entities()
        self.clock = FixedClock(datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("America/Toronto")))
        self.markers = itertools.count(1)
        self.working: dict[int, dict] = {}  # what each record's working copy holds (the fields we vary)
        self.reviewed: dict[int, dict] = {}  # what it held at its last publication
        self.versions: dict[int, list[dict]] = {}  # every published content, by version number - 1
        self.published_markers: set[str] = set()
        self.client = Client()

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)
        listindex._current = None  # it holds this example's records, which the rollback took away

    # -- helpers ----------------------------------------------------------------------------------------------
    def marker(self) -> str:
        return f"mkr{next(self.markers)}z"

    def record(self, pk: int) -> Record:
        return Record.objects.get(pk=pk)

    def update(self, pk: int, data: dict) -> None:
        record = self.record(pk)
        actions.update_record(
            record, actor=self.editor, expected_lock_version=record.lock_version, data=data, clock=self.clock
        )

    def create(self, record_type: str, publish: bool) -> int:
        label = self.marker()
        data = factories.incident_data() if record_type == "incident" else factories.hazard_data()
        data["sources"] = copy.deepcopy(data["sources"])
        data["sources"][0]["url"] = URLS[0]
        record = factories.draft(self.editor, record_type, data, self.clock, slug=f"t-sm-{label}")
        self.working[record.pk] = {
            "slug": record.slug,
            **{f: data[f] for f in TEXT_FIELDS},
            "sources": [(s["url"], s["title"], s["publisher"]) for s in data["sources"]],
            "materialized_from": [],
        }
        self.versions[record.pk] = []
        if publish:
            self.publish_ok(record.pk)
        return record.pk

    def publish_ok(self, pk: int) -> bool:
        record = self.record(pk)
        if record.status in (Status.SCREENING, Status.VERIFICATION, Status.ASSESSMENT):
            actions.set_status(record, actor=self.editor, status=Status.REVIEW, clock=self.clock)
        self.clock.advance(hours=1)
        try:
            actions.publish_record(
                record,
                actor=self.reviewer,
                changelog_en="Checked.",
                changelog_fr="Vérifié.",
                clock=self.clock,
            )
        except actions.PublishRefused:
            return False
        self.approve(pk, self.working[pk])
        return True

    def approve(self, pk: int, content: dict) -> None:
        """The model's side of a publication: `content` is now reviewed; linked hazards by public slug."""
        reviewed = copy.deepcopy(content)
        reviewed["materialized_from"] = [  # documents list linked hazards newest first
            (hid, PublicRecord.objects.get(pk=hid).slug)
            for hid, _slug in sorted(content["materialized_from"], reverse=True)
        ]
        self.reviewed[pk] = reviewed
        self.versions[pk].append(copy.deepcopy(content))
        self.published_markers |= set(MARKER_RE.findall(repr(reviewed)))

    # -- rules ------------------------------------------------------------------------------------------------
    @initialize(target=records)
    def a_hazard(self):
        return self.create("hazard", True)

    @initialize(target=records)
    def a_draft_hazard(self):
        return self.create("hazard", False)

    @initialize(target=records)
    def an_incident(self):
        return self.create("incident", True)

    @initialize(target=records)
    def a_draft_incident(self):
        return self.create("incident", False)

    @rule(pk=records, field=st.sampled_from(TEXT_FIELDS))
    def edit_text(self, pk, field):
        value = f"Edited text {self.marker()}"
        self.update(pk, {field: value})
        self.working[pk][field] = value

    @rule(pk=records, number=st.integers(0, 1), url=st.sampled_from(URLS))
    def describe_a_source(self, pk, number, url):
        """Cite a (possibly shared) URL with a new title and publisher, keeping the citation keys."""
        sources = self.working[pk]["sources"]
        if number >= len(sources) or any(s[0] == url for i, s in enumerate(sources) if i != number):
            return
        record = self.record(pk)
        current = [dict(factories.SOURCES[i]) for i in range(len(sources))]
        mark = self.marker()
        new = list(sources)
        new[number] = (url, f"Title {mark}", f"Publisher {mark}")
        for item, (u, title, publisher) in zip(current, new, strict=True):
            item.update(url=u, title=title, publisher=publisher)
        actions.update_record(
            record, actor=self.editor, expected_lock_version=record.lock_version, data={"sources": current},
            clock=self.clock,
        )  # fmt: skip
        self.working[pk]["sources"] = new

    @rule(pk=records)
    def rename(self, pk):
        slug = f"t-sm-renamed-{self.marker()}"
        self.update(pk, {"slug": slug})
        self.working[pk]["slug"] = slug

    @rule(pk=records, hazards=st.lists(records, max_size=2, unique=True))
    def link(self, pk, hazards):
        record = self.record(pk)
        if record.record_type != "incident":
            return
        hazards = [h for h in hazards if self.record(h).record_type == "hazard"]
        self.update(pk, {"materialized_from": [{"id": h} for h in hazards]})
        self.working[pk]["materialized_from"] = [(h, None) for h in hazards]

    @rule(pk=records)
    def publish(self, pk):
        if self.publish_ok(pk):
            self.check_every_output()

    @rule(pk=records, data=st.data())
    def revert(self, pk, data):
        if len(self.versions[pk]) < 2:
            return
        number = data.draw(st.integers(1, len(self.versions[pk])))
        self.clock.advance(hours=1)
        actions.revert_record(self.record(pk), actor=self.reviewer, to_version=number, clock=self.clock)
        restored = copy.deepcopy(self.versions[pk][number - 1])
        restored["slug"] = PublicRecord.objects.get(pk=pk).slug
        self.working[pk] = restored
        self.approve(pk, restored)
        self.check_every_output()

    # -- what must hold ---------------------------------------------------------------------------------------
    @invariant()
    def public_documents_hold_the_reviewed_content(self):
        publics = {
            p.pk: p for p in PublicRecord.objects.filter(pk__in=self.working).select_related("version")
        }
        assert set(publics) == set(self.reviewed)
        for pk, public in publics.items():
            doc, want = public.version.document, self.reviewed[pk]
            assert public.slug == doc["slug"] == want["slug"]
            assert {f: doc[f] for f in TEXT_FIELDS} == {f: want[f] for f in TEXT_FIELDS}
            assert [(s["url"], s["title"], s["publisher"]) for s in doc["sources"]] == want["sources"]
            links = [(link["id"], link["slug"]) for link in doc.get("materialized_from", [])]
            assert links == want["materialized_from"]

    def check_every_output(self):
        texts = []
        for public in PublicRecord.objects.filter(pk__in=self.working):
            kind = "incidents" if public.record_type == "incident" else "hazards"
            base = f"/{kind}/{public.slug}/"
            urls = [base, f"/fr{base}", f"{base}oecd.json", f"{base}cite.ris", f"{base}cite.bib",
                    f"/api/v3/records/{public.slug}.json", f"/api/v3/records/{public.slug}/versions.json"]  # fmt: skip
            urls += [f"{base}v/{n}/" for n in range(1, public.version_number)]
            if kind == "incidents":
                urls.append(f"{base}aiid.json")
            texts += [self.get(url) for url in urls]
        for url in CORPUS_OUTPUTS:
            texts.append(self.get(url))
        found = set(MARKER_RE.findall("\n".join(texts)))
        assert found <= self.published_markers, (
            f"unreviewed text in public outputs: {found - self.published_markers}"
        )

    def get(self, url: str) -> str:
        response = self.client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return body.decode()


ReviewedOnly.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.django_db
def test_public_outputs_hold_reviewed_content_only():
    ReviewedOnly.TestCase().runTest()
