"""The list index is brought up to date by patching the records a change touched: after any sequence of
publications, corrections, withdrawals and entity merges, the patched index equals one built from scratch."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from caim.records import actions
from caim.records.clock import FixedClock
from caim.records.models import Entity, PublicChange, PublicRecord, PublicState, Record
from caim.site import listindex
from tests import factories

SEVERITIES = ["minor", "significant", "severe", "critical"]
DOMAINS = ["consumer_technology", "finance", "justice_legal", "health"]
YEARS = ["2019-05-02", "2023-11-01", "2025-01-15", None]


def described(index: listindex.ListIndex) -> dict:
    """Everything a list reads from an index, as plain values (so that two indexes compare whatever order their
    value lists and pairs were built in)."""
    ids = index.ids.tolist()
    out = {
        "ids": ids,
        "has_french": index.has_french.tolist(),
        "years": index.years.tolist(),
        "keys": {name: keys.tolist() for name, keys in index.keys.items()},
        "orders": {name: index.ids[order].tolist() for name, order in index.orders.items()},
        "slugs": {name: sorted(slugs) for name, slugs in index.slugs.items()},
    }
    for name, field in index.fields.items():
        out[name] = [field.values[c] if c >= 0 else None for c in field.codes.tolist()]
        out[f"{name} values"] = field.values
    for name, multi in index.multi.items():
        assert (np.diff(multi.indexes) >= 0).all(), (
            f"{name}: pairs out of value order (Multi.counts needs it)"
        )
        out[name] = sorted(zip(index.ids[multi.positions].tolist(), (multi.values[i] for i in multi.indexes)))
        used = np.unique(multi.indexes)
        if name in ("entity", "system"):  # the values a filter offers: those a listed record names
            out[f"{name} values"] = [multi.values[i] for i in used]
            assert len(used) == len(multi.values), f"{name}: values no listed record names"
    return out


class PatchedEqualsBuilt(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()  # each example runs in a savepoint, rolled back at teardown
        self.editor = factories.make_user("li-editor", "editor")
        self.reviewer = factories.make_user("li-reviewer", "reviewer")
        factories.make_entities()
        self.clock = FixedClock(datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("America/Toronto")))
        self.numbers = itertools.count(1)
        self.index = listindex.build()
        self.public: list[int] = []
        self.duplicates: list[str] = []

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def data(self, severity, domains, occurred, french, entity):
        data = factories.incident_data(severity=severity, occurred=occurred)
        data["taxonomy"] = {**data["taxonomy"], "domains": domains}
        if not french:
            data["title_fr"] = data["summary_fr"] = ""
        if entity is not None:
            data["entities"] = [{**data["entities"][0], "slug": entity}, *data["entities"][1:]]
        return data

    def publish(self, record: Record) -> None:
        record.refresh_from_db()
        if record.status != "published":
            actions.set_status(record, actor=self.editor, status="review", clock=self.clock)
        actions.publish_record(record, actor=self.reviewer, changelog_en="Checked.", changelog_fr="Vérifié.",
                               clock=self.clock)  # fmt: skip

    @rule(severity=st.sampled_from(SEVERITIES), domains=st.lists(st.sampled_from(DOMAINS), min_size=1, unique=True),
          occurred=st.sampled_from(YEARS), french=st.booleans(), duplicate=st.booleans())  # fmt: skip
    def publish_new(self, severity, domains, occurred, french, duplicate):
        entity = None
        if duplicate:  # a second entity for Acme, to be merged later
            entity = f"t-acme-dup-{next(self.numbers)}"
            Entity.objects.create(slug=entity, name=f"Acme duplicate {entity}", kind="company")
            self.duplicates.append(entity)
        record = factories.draft(
            self.editor, "incident", self.data(severity, domains, occurred, french, entity)
        )
        self.publish(record)
        self.public.append(record.pk)

    @rule(data=st.data(), severity=st.sampled_from(SEVERITIES), occurred=st.sampled_from(YEARS),
          french=st.booleans())  # fmt: skip
    def correct(self, data, severity, occurred, french):
        if not self.public:
            return
        record = Record.objects.get(pk=data.draw(st.sampled_from(self.public)))
        changes = self.data(severity, ["justice_legal"], occurred, french, None)
        actions.update_record(record, actor=self.editor, expected_lock_version=record.lock_version,
                              data={k: changes[k] for k in ("severity", "occurred", "title_fr", "summary_fr",
                                                            "taxonomy")}, clock=self.clock)  # fmt: skip
        self.publish(record)

    @rule(data=st.data())
    def withdraw(self, data):
        if not self.public:
            return
        pk = data.draw(st.sampled_from(self.public))
        self.public.remove(pk)
        actions.withdraw_record(Record.objects.get(pk=pk), actor=self.reviewer, reason_en="Duplicate.",
                                reason_fr="Doublon.", clock=self.clock)  # fmt: skip

    @rule(data=st.data())
    def merge_entity(self, data):
        if not self.duplicates:
            return
        slug = data.draw(st.sampled_from(self.duplicates))
        self.duplicates.remove(slug)
        actions.merge_entities(Entity.objects.get(slug=slug), Entity.objects.get(slug="t-acme-ai"),
                               actor=self.editor, clock=self.clock)  # fmt: skip

    @invariant()
    def patched_equals_built(self):
        self.index = listindex.refreshed(self.index)
        assert self.index.version == PublicState.current()
        assert described(self.index) == described(listindex.build())


PatchedEqualsBuilt.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.django_db
def test_a_patched_index_equals_one_built_from_scratch():
    PatchedEqualsBuilt.TestCase().runTest()


@pytest.mark.django_db
def test_a_publication_reads_only_the_records_it_changed(editor, reviewer, entities, clock):
    index = listindex.build()
    record = factories.published_incident(editor, reviewer, clock)
    PublicChange.objects.exclude(record_id=record.pk).delete()  # as if the other changes were long ago
    with CaptureQueriesContext(connection) as queries:
        patched = listindex.refreshed(index)
    assert patched.size == index.size + 1 and record.pk in patched.ids.tolist()
    read = [q["sql"] for q in queries if "records_publicrecord" in q["sql"] and "COUNT(" not in q["sql"]]
    assert len(read) == 1 and f"IN ({record.pk})" in read[0]  # one record's row, not the whole table
    # Only reads: no transaction (on SQLite it would take the write lock that publications need).
    assert not any(q["sql"].startswith(("SAVEPOINT", "BEGIN")) for q in queries.captured_queries)
    with CaptureQueriesContext(connection) as queries:
        listindex.build()
    assert not any(q["sql"].startswith(("SAVEPOINT", "BEGIN")) for q in queries.captured_queries)


@pytest.mark.django_db
def test_a_reprojection_builds_afresh(editor, reviewer, entities, clock):
    from caim.records.public import reproject_all

    index = listindex.build()
    record = factories.published_incident(editor, reviewer, clock)
    PublicRecord.objects.filter(pk=record.pk).update(severity="minor")  # a change the log does not name…
    reproject_all()  # …which a re-projection puts right, logging "any record"
    assert described(listindex.refreshed(index)) == described(listindex.build())


@pytest.mark.django_db
def test_an_index_the_log_cannot_explain_is_built_afresh(editor, reviewer, entities, clock):
    index = listindex.build()
    record = factories.published_incident(editor, reviewer, clock)
    PublicChange.objects.all().delete()  # as after a restore: the change is in the data, not in the log
    refreshed = listindex.refreshed(index)
    assert record.pk in refreshed.ids.tolist()
    assert described(refreshed) == described(listindex.build())


@pytest.mark.django_db
def test_a_request_during_an_update_answers_from_the_index_as_it_was(editor, reviewer, entities, clock):
    listindex._current = before = listindex.build()
    factories.published_incident(editor, reviewer, clock)
    with listindex._lock:  # another thread is bringing the index up to date
        assert listindex.get_index() is before
    assert listindex.get_index() is not before and listindex.get_index().size == before.size + 1


@given(
    st.lists(
        st.tuples(
            st.sampled_from([-np.inf, 1.0, 2.0, 3.0]),
            st.sampled_from([1.0, 2.0]),
            st.integers(0, 3),
            st.booleans(),
            st.booleans(),
        ),
        max_size=40,
    ),  # fmt: skip
    st.integers(0, 5),
)
def test_orders_patched_by_insertion_equal_orders_sorted_afresh(records, threshold):
    """Each record: (event, published, rank, in the old index, in the new one). Keys repeat often, so that ties
    are broken by id; `threshold` makes some patches sort afresh instead."""
    ids = np.arange(1, len(records) + 1, dtype=np.int64) * 3

    def keys_of(chosen):
        return {name: np.array([r[i] for r in chosen], dtype=dtype)
                for i, (name, dtype) in enumerate((("event", np.float64), ("published", np.float64),
                                                    ("rank", np.int64)))}  # fmt: skip

    old_ids = ids[[r[3] for r in records]] if records else ids
    new_ids = ids[[r[4] for r in records]] if records else ids
    old_orders = listindex._orders(old_ids, keys_of([r for r in records if r[3]]))
    # A record in both stays (its keys unchanged) unless it is read again; here every record in the new index
    # that was not kept is added: the kept ones are those in both.
    kept = np.isin(old_ids, new_ids)
    moved = np.full(len(old_ids), -1, dtype=np.int64)
    moved[kept] = np.searchsorted(new_ids, old_ids[kept])
    added = np.flatnonzero(~np.isin(new_ids, old_ids[kept]))
    new_keys = keys_of([r for r in records if r[4]])
    expected = listindex._orders(new_ids, new_keys)
    old_limit, listindex.INSERTED_AT_MOST = listindex.INSERTED_AT_MOST, threshold
    try:
        same_places = np.array_equal(moved[kept], np.flatnonzero(kept))  # as listindex.patched decides it
        patched = listindex._patched_orders(old_orders, kept, None if same_places else moved, added, new_ids,
                                            new_keys)  # fmt: skip
    finally:
        listindex.INSERTED_AT_MOST = old_limit
    assert {name: order.tolist() for name, order in patched.items()} == {
        name: order.tolist() for name, order in expected.items()
    }


@given(
    st.lists(
        st.tuples(st.integers(0, 9), st.integers(0, 4)), max_size=30
    ),  # old (position, value index) pairs
    st.lists(st.booleans(), min_size=10, max_size=10),  # which records stay
    st.lists(st.tuples(st.integers(10, 12), st.integers(0, 4)), max_size=8),  # new pairs, new records
    st.lists(st.booleans(), min_size=13, max_size=13),  # a list's records, to count
)
def test_pairs_stay_in_value_order_and_count_as_a_bincount(old_pairs, stays, new_pairs, scope):
    old_pairs = sorted(old_pairs, key=lambda pair: pair[1])
    old = listindex.Multi(np.array([p for p, _i in old_pairs], dtype=np.intp),
                          np.array([i for _p, i in old_pairs], dtype=np.intp), list("abcde"))  # fmt: skip
    keep = np.array(stays)
    joined = listindex._joined(old, keep, None, new_pairs, old.values)
    assert (np.diff(joined.indexes) >= 0).all()
    expected = sorted([pair for pair in old_pairs if stays[pair[0]]] + new_pairs)
    assert sorted(zip(joined.positions.tolist(), joined.indexes.tolist(), strict=True)) == expected
    mask = np.array(scope)
    assert (
        joined.counts(mask).tolist()
        == np.bincount([i for p, i in expected if scope[p]], minlength=5).tolist()
    )
