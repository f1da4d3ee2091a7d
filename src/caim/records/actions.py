"""The only code that writes records (SPEC §3). Every action checks its permission, runs in one transaction
and writes one audit event in it.

Actions: create_entity, create_system, merge_entities, create_draft, update_record, set_status, assign_record,
comment_record, return_record, publish_record, withdraw_record, revert_record, merge_records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext

from caim.records import roles
from caim.records.changes import (
    InvalidRecordData,
    ParsedChanges,
    clean_text,
    parse_changes,
    source_details,
)
from caim.records.clock import Clock, get_clock
from caim.records.fields import CHILD_LISTS, RECORD_FIELDS
from caim.records.lint import ERROR, LintIssue, errors, lint_document, names_found
from caim.records.models import (
    DRAFT_STATUSES,
    AISystem,
    AuditEvent,
    Entity,
    EntityRedirect,
    Harm,
    Mitigation,
    PolicyRecommendation,
    PublicEntityRole,
    PublicRecord,
    PublicState,
    Record,
    RecordEntity,
    RecordSource,
    RecordSystem,
    RecordType,
    RecordVersion,
    Response,
    SlugRedirect,
    Source,
    Status,
    VersionKind,
)
from caim.records.public import project_public
from caim.records.signals import entities_merged
from caim.records.versions import build_document, build_staff_document, load_record
from caim.taxonomy.loader import get_taxonomy

__all__ = [
    "ActionRefused",
    "assign_record",
    "comment_record",
    "merge_entities",
    "merge_records",
    "return_record",
    "EditConflict",
    "InvalidRecordData",
    "PublishRefused",
    "create_draft",
    "create_entity",
    "create_system",
    "publish_record",
    "revert_record",
    "set_status",
    "update_record",
    "withdraw_record",
]


class ActionRefused(Exception):
    """The action does not apply to the record in its current state."""


class EditConflict(Exception):
    """Someone saved the record since the editor loaded it; nothing was written.

    Carries both sides so that the editor can merge: the current record document and the attempted changes.
    """

    def __init__(self, record_id: int, expected: int, current: int, current_data: dict, attempted: dict):
        self.record_id, self.expected, self.current = record_id, expected, current
        self.current_data, self.attempted = current_data, attempted
        super().__init__(
            f"Record {record_id} was changed by someone else (you edited version {expected} of the draft, it is "
            f"now at {current}). Nothing was saved; review their changes and apply yours again."
        )


class PublishRefused(Exception):
    def __init__(self, message: str, issues: list[LintIssue] | None = None):
        self.issues = issues or []
        super().__init__(message)


def audit_event(
    subject_type: str, subject_id: int, verb: str, actor, at: datetime, *, before=None, after=None, note=""
) -> AuditEvent:
    """An unsaved audit event (batch actions insert many at once)."""
    return AuditEvent(
        subject_type=subject_type,
        subject_id=subject_id,
        verb=verb,
        actor=actor if getattr(actor, "pk", None) else None,
        at=at,
        before=before or {},
        after=after or {},
        note=note,
    )


def audit(subject_type: str, subject_id: int, verb: str, actor, at: datetime, **details) -> AuditEvent:
    event = audit_event(subject_type, subject_id, verb, actor, at, **details)
    event.save()
    return event


def both_languages(en: str | None, fr: str | None, missing: Exception) -> tuple[str, str]:
    """The two texts, stripped; raise `missing` unless both are given."""
    en, fr = (en or "").strip(), (fr or "").strip()
    if not en or not fr:
        raise missing
    return en, fr


def _editable_view(record: Record) -> dict:
    """The record's editable content (document + staff fields) for audit before/after diffs."""
    doc = build_document(load_record(record.pk), version=0, published_at=record.updated_at)
    for key in ("schema_version", "version", "created_at", "first_published_at", "published_at"):
        doc.pop(key, None)
    return {**doc, **build_staff_document(record)}


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


# -- entities and systems -------------------------------------------------------------------------------------


def _names(model, name: str, name_fr: str) -> tuple[str, str]:
    """An entity's or AI system's names, cleaned, within their columns (PostgreSQL refuses a longer text, SQLite
    would keep it)."""
    names = clean_text(name, single_line=True), clean_text(name_fr, single_line=True)
    limit = model._meta.get_field("name").max_length
    if any(len(n) > limit for n in names):
        raise ActionRefused(gettext("A name has at most %(n)s characters.") % {"n": limit})
    return names


def create_entity(
    *,
    actor,
    slug: str,
    name: str,
    kind: str,
    jurisdiction: str = "",
    aliases=(),
    description_en: str = "",
    name_fr: str = "",
    aliases_fr=(),
    description_fr: str = "",
    same_as=(),
    clock: Clock | None = None,
) -> Entity:
    roles.require_role(actor, roles.EDITOR, roles.ADMIN)
    tax = get_taxonomy()
    tax.validate("entity_kind", kind)
    name, name_fr = _names(Entity, name, name_fr)
    now = (clock or get_clock()).now()
    with transaction.atomic():
        entity = Entity.objects.create(
            slug=slug,
            name=name,
            name_fr=name_fr,
            kind=kind,
            jurisdiction=jurisdiction,
            aliases=list(aliases),
            aliases_fr=list(aliases_fr),
            description_en=description_en,
            description_fr=description_fr,
            same_as=list(same_as),
        )
        audit(
            "entity",
            entity.pk,
            "entity.created",
            actor,
            now,
            after={"slug": slug, "name": name, "kind": kind},
        )
    return entity


def create_system(
    *,
    actor,
    slug: str,
    name: str,
    system_type: str,
    developer: Entity | None = None,
    description_en: str = "",
    description_fr: str = "",
    name_fr: str = "",
    clock: Clock | None = None,
) -> AISystem:
    roles.require_role(actor, roles.EDITOR, roles.ADMIN)
    get_taxonomy().validate("system_type", system_type)
    name, name_fr = _names(AISystem, name, name_fr)
    now = (clock or get_clock()).now()
    with transaction.atomic():
        system = AISystem.objects.create(
            slug=slug,
            name=name,
            name_fr=name_fr,
            system_type=system_type,
            developer=developer,
            description_en=description_en,
            description_fr=description_fr,
        )
        audit("system", system.pk, "system.created", actor, now, after={"slug": slug, "name": name})
    return system


def merge_entities(loser: Entity, survivor: Entity, *, actor, clock: Clock | None = None) -> Entity:
    """Merge a duplicate entity into another (SPEC §1.5): every link moves to the survivor, the loser's name
    becomes one of its aliases, and the loser's address redirects to the survivor's for good."""
    roles.require_role(actor, roles.EDITOR, roles.ADMIN)
    if loser.pk == survivor.pk:
        raise ActionRefused(gettext("An entity cannot be merged into itself."))
    now = (clock or get_clock()).now()
    with transaction.atomic():
        loser = Entity.objects.select_for_update().get(pk=loser.pk)
        survivor = Entity.objects.select_for_update().get(pk=survivor.pk)
        records = RecordEntity.objects.filter(entity=loser).values_list("record_id", flat=True)
        moved = {"records": sorted(set(records))}
        public_ids = set(PublicEntityRole.objects.filter(entity=loser).values_list("record_id", flat=True))
        for link in RecordEntity.objects.filter(entity=loser):
            theirs = RecordEntity.objects.filter(record_id=link.record_id, entity=survivor).first()
            if theirs is None:
                RecordEntity.objects.filter(pk=link.pk).update(entity=survivor)
            else:  # the record names both: one link with both sets of roles
                theirs.roles = list(dict.fromkeys([*theirs.roles, *link.roles]))
                theirs.save(update_fields=["roles"])
                link.delete()
        for role in PublicEntityRole.objects.filter(entity=loser):
            if PublicEntityRole.objects.filter(
                record_id=role.record_id, entity=survivor, role=role.role
            ).exists():
                role.delete()
            else:
                PublicEntityRole.objects.filter(pk=role.pk).update(entity=survivor)
        Response.objects.filter(actor=loser).update(actor=survivor)
        AISystem.objects.filter(developer=loser).update(developer=survivor)
        names = dict.fromkeys([*survivor.aliases, loser.name, *loser.aliases])
        survivor.aliases = [name for name in names if name != survivor.name]
        names_fr = dict.fromkeys([*survivor.aliases_fr, *filter(None, [loser.name_fr]), *loser.aliases_fr])
        survivor.aliases_fr = [name for name in names_fr if name not in (survivor.name_fr, survivor.name)]
        survivor.same_as = [*survivor.same_as, *(s for s in loser.same_as if s not in survivor.same_as)]
        survivor.save(update_fields=["aliases", "aliases_fr", "same_as"])
        EntityRedirect.objects.filter(entity=loser).update(entity=survivor)
        EntityRedirect.objects.create(old_slug=loser.slug, old_id=loser.pk, entity=survivor, created_at=now)
        loser_id, loser_slug = loser.pk, loser.slug
        audit("entity", loser_id, "entity.merged_into", actor, now,
              before={"slug": loser_slug, "name": loser.name}, after={"into": survivor.slug, **moved})  # fmt: skip
        audit("entity", survivor.pk, "entity.merged", actor, now,
              before={"slug": loser_slug, "name": loser.name}, after={"slug": survivor.slug, **moved})  # fmt: skip
        loser.delete()
        PublicState.bump(public_ids)  # entity pages, filters and counts change
        entities_merged.send(sender=Entity, loser_id=loser_id, survivor=survivor)
    return survivor


# -- drafts ---------------------------------------------------------------------------------------------------


def create_draft(
    *, actor, record_type: str, slug: str, data: dict | None = None, clock: Clock | None = None
) -> Record:
    """A new record in screening, with whatever content is known so far."""
    roles.require_role(actor, roles.EDITOR)
    if record_type not in RecordType.values:
        raise InvalidRecordData([f"record_type: expected one of {', '.join(RecordType.values)}"])
    parsed = parse_changes({**(data or {}), "slug": slug}, record_type=record_type, taxonomy=get_taxonomy())
    if (
        Record.objects.filter(slug=parsed.columns["slug"]).exists()
        or SlugRedirect.objects.filter(old_slug=slug).exists()
    ):
        raise InvalidRecordData([f"slug: {slug!r} is already used by another record"])
    now = (clock or get_clock()).now()
    with transaction.atomic():
        record = Record(record_type=record_type, created_at=now, updated_at=now)
        _apply(record, parsed)
        record.save()
        _apply_children(record, parsed)
        audit("record", record.pk, "record.created", actor, now, after=_editable_view(record))
    return record


def update_record(
    record: Record,
    *,
    actor,
    expected_lock_version: int,
    data: dict,
    clock: Clock | None = None,
    verb: str = "record.updated",
) -> Record:
    """Apply `data` to the working copy, unless someone saved it since `expected_lock_version` was read.

    Translators may only change text fields. A stale save raises EditConflict and writes nothing.
    """
    roles.require_role(actor, roles.EDITOR, roles.REVIEWER, roles.TRANSLATOR)
    translator_only = not roles.has_role(actor, roles.EDITOR) and not roles.has_role(actor, roles.REVIEWER)
    if translator_only:
        non_text = [k for k in data if k not in TRANSLATABLE_KEYS]
        if non_text:
            raise roles.PermissionDenied(
                f"Translators edit text fields only, not: {', '.join(sorted(non_text))}."
            )
    parsed = parse_changes(data, record_type=record.record_type, taxonomy=get_taxonomy())
    new_slug = parsed.columns.get("slug")
    if (
        new_slug
        and new_slug != record.slug
        and (
            Record.objects.filter(slug=new_slug).exclude(pk=record.pk).exists()
            or SlugRedirect.objects.filter(old_slug=new_slug).exclude(record=record).exists()
        )
    ):
        raise InvalidRecordData([f"slug: {new_slug!r} is already used by another record"])
    now = (clock or get_clock()).now()
    with transaction.atomic():
        bumped = Record.objects.filter(pk=record.pk, lock_version=expected_lock_version).update(
            lock_version=F("lock_version") + 1, updated_at=now
        )
        if not bumped:
            current = Record.objects.get(pk=record.pk)
            raise EditConflict(
                record.pk, expected_lock_version, current.lock_version, _editable_view(current), data
            )
        record = Record.objects.get(pk=record.pk)
        if record.status in (Status.WITHDRAWN, Status.MERGED):
            raise ActionRefused("A withdrawn or merged record cannot be edited.")
        before = _editable_view(record)
        old_slug = record.slug
        _apply(record, parsed)
        record.save()
        _apply_children(record, parsed)
        if new_slug and new_slug != old_slug:
            # A record taking back an old slug of its own no longer needs its redirect; a slug that was never
            # public gets none (a redirect would reveal it).
            SlugRedirect.objects.filter(old_slug=new_slug).delete()
            if PublicRecord.objects.filter(pk=record.pk, slug=old_slug).exists():
                SlugRedirect.objects.create(old_slug=old_slug, record=record, created_at=now)
        before, after = _diff(before, _editable_view(record))
        if translator_only and (changed := non_text_changes(before, after)):
            raise roles.PermissionDenied(  # raised inside the transaction: nothing is written
                f"Translators edit text fields only, not: {', '.join(changed)}."
            )
        audit("record", record.pk, verb, actor, now, before=before, after=after)
    return record


# What a translator may send: the record's texts, their statuses, and child lists (whose texts only may change).
TRANSLATABLE_KEYS = frozenset(
    {key for f in RECORD_FIELDS if f.bilingual for key in f.attributes()}
    | {"translation_status"}
    | {child.name for child in CHILD_LISTS}
)


def _without_texts(value):
    """A value with the texts of both languages left out: what must not change in a translation."""
    if isinstance(value, list):
        return [_without_texts(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_texts(v) for k, v in value.items() if not k.endswith(("_en", "_fr"))}
    return value


def non_text_changes(before: dict, after: dict) -> list[str]:
    """Keys of an edit's before/after diff that change more than text (sorted)."""
    return sorted(
        key
        for key in after
        if not key.endswith(("_en", "_fr"))
        and key != "translation_status"
        and _without_texts(before.get(key)) != _without_texts(after.get(key))
    )


def _apply(record: Record, parsed: ParsedChanges) -> None:
    for key, value in parsed.columns.items():
        setattr(record, key, value)


def _apply_children(record: Record, parsed: ParsedChanges) -> None:
    """Replace each child list that the change names (the whole list: order is meaningful)."""
    children = parsed.children
    if "sources" in children:
        record.record_sources.all().delete()
        sources = children["sources"]
        urls = [s["url"] for s in sources]
        known = dict(Source.objects.filter(url__in=urls).values_list("url", "pk"))
        Source.objects.bulk_create(
            (Source(url=url) for url in dict.fromkeys(urls) if url not in known), ignore_conflicts=True
        )
        ids = dict(Source.objects.filter(url__in=urls).values_list("url", "pk"))
        RecordSource.objects.bulk_create(
            RecordSource(record=record, source_id=ids[s["url"]], number=number, **source_details(s))
            for number, s in enumerate(sources, 1)
        )
    simple = {
        "harms": Harm,
        "responses": Response,
        "policy_recommendations": PolicyRecommendation,
        "mitigations": Mitigation,
        "entities": RecordEntity,
        "systems": RecordSystem,
    }
    related = {"entities": "record_entities", "systems": "record_systems"}
    for name, model in simple.items():
        if name in children:
            getattr(record, related.get(name, name)).all().delete()
            model.objects.bulk_create(
                model(record=record, position=i, **item) for i, item in enumerate(children[name], 1)
            )
    if parsed.materialized_from is not None:
        record.materialized_from.set(parsed.materialized_from)


def set_status(record: Record, *, actor, status: str, clock: Clock | None = None) -> Record:
    """Move a draft between the pipeline stages (screening, verification, assessment, review)."""
    roles.require_role(actor, roles.EDITOR, roles.REVIEWER)
    if status not in DRAFT_STATUSES:
        raise ActionRefused(f"{status!r} is not a draft stage; use publish_record or withdraw_record.")
    if record.status not in DRAFT_STATUSES:
        raise ActionRefused("The record is public: its changes are published as a new version.")
    now = (clock or get_clock()).now()
    with transaction.atomic():
        before = record.status
        Record.objects.filter(pk=record.pk).update(status=status, updated_at=now)
        record.status, record.updated_at = status, now
        audit(
            "record",
            record.pk,
            "record.status_changed",
            actor,
            now,
            before={"status": before},
            after={"status": status},
        )
    return record


def assign_record(record: Record, *, actor, assignee, clock: Clock | None = None) -> Record:
    """Give the record to a staff member (or to no one), who sees it under "My work"."""
    roles.require_role(actor, roles.EDITOR, roles.REVIEWER)
    if assignee is not None and not roles.is_staff_member(assignee):
        raise ActionRefused("Records are assigned to staff members only.")
    now = (clock or get_clock()).now()
    with transaction.atomic():
        before = Record.objects.filter(pk=record.pk).values_list("assignee__username", flat=True).get()
        Record.objects.filter(pk=record.pk).update(assignee=assignee, updated_at=now)
        record.assignee = assignee
        audit("record", record.pk, "record.assigned", actor, now, before={"assignee": before},
              after={"assignee": assignee.username if assignee else None})  # fmt: skip
    return record


def comment_record(record: Record, *, actor, text: str, clock: Clock | None = None) -> AuditEvent:
    """A staff note on the record's timeline (never public)."""
    roles.require_role(actor, *roles.ROLES)
    text = clean_text(text or "")
    if not text:
        raise ActionRefused(gettext("Write the comment first."))
    return audit("record", record.pk, "record.commented", actor, (clock or get_clock()).now(), note=text)


def return_record(record: Record, *, actor, comment: str, clock: Clock | None = None) -> Record:
    """A reviewer sends a record in review back to assessment, saying what to change."""
    roles.require_role(actor, roles.REVIEWER)
    comment = clean_text(comment or "")
    if not comment:
        raise ActionRefused(gettext("Say what must change before the record can be published."))
    now = (clock or get_clock()).now()
    with transaction.atomic():
        current = Record.objects.select_for_update().get(pk=record.pk)
        if current.status != Status.REVIEW:
            raise ActionRefused(gettext("Only a record in review can be returned."))
        Record.objects.filter(pk=record.pk).update(status=Status.ASSESSMENT, updated_at=now)
        audit("record", record.pk, "record.returned", actor, now, before={"status": Status.REVIEW},
              after={"status": Status.ASSESSMENT}, note=comment)  # fmt: skip
    record.status, record.updated_at = Status.ASSESSMENT, now
    return record


# -- publication ----------------------------------------------------------------------------------------------


def check_record(record: Record, *, today=None) -> list[LintIssue]:
    """Lint the working copy exactly as it would be published."""
    record = load_record(record.pk)
    now = get_clock().now()
    doc = build_document(record, version=0, published_at=now)
    return check_document(doc, build_staff_document(record), today=today or now.date())


def check_document(doc: dict, staff: dict, *, today=None) -> list[LintIssue]:
    """Lint a working document already built (pages that show it and its lint read the record once)."""
    return lint_document(doc, staff, today=today or get_clock().now().date(), links=_link_states(doc))


def _link_states(doc: dict) -> dict[int, tuple[str, bool]]:
    ids = [link["id"] for link in doc.get("materialized_from", [])]
    if not ids:
        return {}
    public = set(PublicRecord.objects.listed().filter(pk__in=ids).values_list("pk", flat=True))
    return {
        pk: (kind, pk in public)
        for pk, kind in Record.objects.filter(pk__in=ids).values_list("pk", "record_type")
    }


def private_names_in_notes(record: Record, notes: dict[str, str]) -> list[LintIssue]:
    """Changelog notes and withdrawal reasons are public too: the record's private persons stay out of them."""
    return [
        LintIssue(
            "private-person-named",
            ERROR,
            field,
            gettext(
                "A private person listed in the record (“%(name)s”) is named here. Describe the person instead."
            )
            % {"name": name},
        )
        for field, text in notes.items()
        for name in names_found(text, record.private_persons)
    ]


# Audit verbs that change a record's content, and the verb that makes it public.
CONTENT_VERBS = ("record.created", "record.updated", "record.merged_from")
PUBLISHED_VERB = "record.published"


def unpublished_authors(record_ids) -> dict[int, set[int]]:
    """For each record, the accounts that changed its content since its last publication."""
    ids = list(record_ids)
    last: dict[int, int] = {}
    for subject, event in (
        AuditEvent.objects.filter(subject_type="record", subject_id__in=ids, verb=PUBLISHED_VERB)
        .values_list("subject_id", "pk")
        .order_by("pk")
    ):
        last[subject] = event
    authors: dict[int, set[int]] = {pk: set() for pk in ids}
    for subject, event, actor in AuditEvent.objects.filter(
        subject_type="record", subject_id__in=ids, verb__in=CONTENT_VERBS
    ).values_list("subject_id", "pk", "actor_id"):
        if event > last.get(subject, 0) and actor is not None:
            authors[subject].add(actor)
    return authors


def require_second_person(record: Record, actor) -> None:
    """SPEC §3.1: a publication is approved by someone who made none of the changes it publishes, even when
    one account holds both the editor and the reviewer role."""
    if actor.pk in unpublished_authors([record.pk])[record.pk]:
        raise roles.PermissionDenied(
            gettext(
                "You changed this record since its last publication, so another reviewer must approve it."
            )
        )


def publish_record(
    record: Record,
    *,
    actor,
    changelog_en: str,
    changelog_fr: str,
    clock: Clock | None = None,
    kind: str = VersionKind.PUBLICATION,
) -> RecordVersion:
    """A reviewer's approval: lint, snapshot version N+1 with its changelog line, update the public layer."""
    roles.require_role(actor, roles.REVIEWER)
    require_second_person(record, actor)
    return _publish(record, actor=actor, changelog_en=changelog_en, changelog_fr=changelog_fr, clock=clock,
                    kind=kind)  # fmt: skip


def _publish(
    record: Record, *, actor, changelog_en: str, changelog_fr: str, clock, kind: str
) -> RecordVersion:
    changelog_en, changelog_fr = both_languages(
        changelog_en,
        changelog_fr,
        PublishRefused("A publication needs a changelog note in English and in French."),
    )
    now = (clock or get_clock()).now()
    with transaction.atomic():
        record = Record.objects.select_for_update().get(pk=record.pk)
        if record.status == Status.WITHDRAWN:
            raise PublishRefused("A withdrawn record stays withdrawn; create a new record instead.")
        if record.status != Status.REVIEW and record.status != Status.PUBLISHED:
            raise PublishRefused("Submit the draft for review before publishing it.")
        record = load_record(record.pk)
        number = (record.current_version.number if record.current_version_id else 0) + 1
        doc = build_document(record, version=number, published_at=now)
        issues = lint_document(doc, build_staff_document(record), today=now.date(), links=_link_states(doc))
        issues += private_names_in_notes(record, {"changelog_en": changelog_en, "changelog_fr": changelog_fr})
        blocking = errors(issues)
        if blocking:
            raise PublishRefused(
                f"The record has {len(blocking)} lint error(s); correct them before publishing.", issues
            )
        version = RecordVersion.objects.create(
            record=record,
            number=number,
            kind=kind,
            document=doc,
            staff_document=build_staff_document(record),
            changelog_en=changelog_en,
            changelog_fr=changelog_fr,
            published_at=now,
            published_by=actor,
        )
        first = record.first_published_at or now
        Record.objects.filter(pk=record.pk).update(
            status=Status.PUBLISHED, current_version=version, first_published_at=first, updated_at=now
        )
        project_public(record.pk, version)
        audit(
            "record",
            record.pk,
            PUBLISHED_VERB,
            actor,
            now,
            before={"status": record.status},
            after={"status": Status.PUBLISHED, "version": number},
            note=changelog_en,
        )
    record.refresh_from_db()
    return version


def withdraw_record(
    record: Record, *, actor, reason_en: str, reason_fr: str, clock: Clock | None = None
) -> RecordVersion:
    """Withdraw a public record: its page stays with the reason; it leaves lists, stats and feeds."""
    roles.require_role(actor, roles.REVIEWER)
    reason_en, reason_fr = both_languages(
        reason_en, reason_fr, ActionRefused("Give the reason for the withdrawal in English and in French.")
    )
    now = (clock or get_clock()).now()
    with transaction.atomic():
        record = Record.objects.select_for_update().get(pk=record.pk)
        if record.status != Status.PUBLISHED:
            raise ActionRefused("Only a published record can be withdrawn.")
        named = private_names_in_notes(record, {"reason_en": reason_en, "reason_fr": reason_fr})
        if named:
            raise ActionRefused(named[0].message)
        previous = record.current_version
        doc = {
            **previous.document,
            "version": previous.number + 1,
            "published_at": now.isoformat(),
            "withdrawn": {"at": now.isoformat(), "reason_en": reason_en, "reason_fr": reason_fr},
        }
        version = RecordVersion.objects.create(
            record=record,
            number=previous.number + 1,
            kind=VersionKind.WITHDRAWAL,
            document=doc,
            staff_document=previous.staff_document,
            changelog_en=f"Withdrawn: {reason_en}",
            changelog_fr=f"Retiré : {reason_fr}",
            published_at=now,
            published_by=actor,
        )
        Record.objects.filter(pk=record.pk).update(
            status=Status.WITHDRAWN,
            current_version=version,
            withdrawn_reason_en=reason_en,
            withdrawn_reason_fr=reason_fr,
            updated_at=now,
        )
        project_public(record.pk, version)
        audit(
            "record",
            record.pk,
            "record.withdrawn",
            actor,
            now,
            before={"status": Status.PUBLISHED},
            after={"status": Status.WITHDRAWN, "version": version.number},
            note=reason_en,
        )
    return version


def revert_record(record: Record, *, actor, to_version: int, clock: Clock | None = None) -> RecordVersion:
    """Restore an earlier version's content as a new version; history is never rewritten.

    Everything public comes from that version, which a reviewer approved: pending edits of the working copy
    are replaced, and the record keeps its public slug (a pending rename was never reviewed). So the reviewer
    who reverts may publish the result alone.
    """
    roles.require_role(actor, roles.REVIEWER)
    old = RecordVersion.objects.filter(record=record, number=to_version).first()
    public = PublicRecord.objects.filter(pk=record.pk).only("slug").first()
    if old is None or old.kind == VersionKind.WITHDRAWAL or public is None:
        raise ActionRefused(f"There is no published version {to_version} to restore.")
    content: dict[str, Any] = {**old.document, "slug": public.slug}
    with transaction.atomic():
        current = Record.objects.get(pk=record.pk)  # a revert applies over whatever the draft holds now
        # Names marked private since that version stay private: the lint keeps them out of the restored text.
        content["private_persons"] = list(
            dict.fromkeys([*old.staff_document.get("private_persons", []), *current.private_persons])
        )
        record = update_record(
            current,
            actor=actor,
            expected_lock_version=current.lock_version,
            data=content,
            clock=clock,
            verb="record.reverted",
        )
        return _publish(
            record,
            actor=actor,
            clock=clock,
            kind=VersionKind.REVERT,
            changelog_en=f"Restored the content of version {to_version}.",
            changelog_fr=f"Rétablissement du contenu de la version {to_version}.",
        )


def merge_records(loser: Record, survivor: Record, *, actor, clock: Clock | None = None) -> Record:
    """Merge a duplicate record into another (SPEC §3.3). The survivor's working copy gains the loser's sources
    (as background sources, since its text does not cite them yet), entities, AI systems and links, to be
    reviewed and published as its next version. The loser is closed: if it was public, it gets a last version
    saying where it went, leaves lists, and its addresses redirect permanently to the survivor."""
    roles.require_role(actor, roles.REVIEWER)
    if loser.pk == survivor.pk or loser.record_type != survivor.record_type:
        raise ActionRefused(gettext("A record merges only into another record of the same type."))
    now = (clock or get_clock()).now()
    with transaction.atomic():
        loser = Record.objects.select_for_update().get(pk=loser.pk)
        survivor = Record.objects.select_for_update().get(pk=survivor.pk)
        if Status.MERGED in (loser.status, survivor.status) or survivor.status == Status.WITHDRAWN:
            raise ActionRefused(gettext("Merged or withdrawn records cannot take part in a merge."))
        loser_public = PublicRecord.objects.filter(pk=loser.pk).first()
        survivor_public = PublicRecord.objects.filter(pk=survivor.pk, withdrawn=False).first()
        if loser_public is not None and survivor_public is None:
            raise ActionRefused(
                gettext("Publish the surviving record first: the merged record's readers go there.")
            )
        theirs = build_document(load_record(loser.pk), version=0, published_at=now)
        ours = build_document(load_record(survivor.pk), version=0, published_at=now)
        data = _merged_content(ours, theirs)
        survivor = update_record(survivor, actor=actor, expected_lock_version=survivor.lock_version, data=data,
                                 clock=clock, verb="record.merged_from")  # fmt: skip
        # Incidents that materialize the loser (a hazard) now materialize the survivor.
        through = Record.materialized_from.through
        for link in through.objects.filter(to_record_id=loser.pk):
            if not through.objects.filter(
                from_record_id=link.from_record_id, to_record_id=survivor.pk
            ).exists():
                through.objects.create(from_record_id=link.from_record_id, to_record_id=survivor.pk)
            link.delete()
        public_through = PublicRecord.materialized_from.through
        for link in public_through.objects.filter(to_publicrecord_id=loser.pk):
            if (
                survivor_public
                and not public_through.objects.filter(
                    from_publicrecord_id=link.from_publicrecord_id, to_publicrecord_id=survivor.pk
                ).exists()
            ):
                public_through.objects.create(from_publicrecord_id=link.from_publicrecord_id,
                                              to_publicrecord_id=survivor.pk)  # fmt: skip
            link.delete()
        Record.objects.filter(pk=loser.pk).update(status=Status.MERGED, merged_into=survivor, updated_at=now)
        if loser_public is not None and not loser_public.withdrawn:
            _close_merged(loser, survivor, loser_public, actor, now)
        elif loser_public is not None:  # withdrawn already: its address now leads to the survivor
            PublicRecord.objects.filter(pk=loser.pk).update(merged_into=survivor_public)
            PublicState.bump([loser.pk])
        audit("record", loser.pk, "record.merged_into", actor, now, before={"status": loser.status},
              after={"status": Status.MERGED, "into": {"id": survivor.pk, "slug": survivor.slug}})  # fmt: skip
    return survivor


def _merged_content(ours: dict, theirs: dict) -> dict:
    """The survivor's lists with the loser's sources, entities, systems and links added."""
    sources = list(ours["sources"])
    urls, keys = {s["url"] for s in sources}, {s["citation_key"] for s in sources}
    for source in theirs["sources"]:
        if source["url"] in urls:
            continue
        key, n = source["citation_key"], 2
        while key in keys:
            key, n = f"{source['citation_key']} ({n})", n + 1
        sources.append({**source, "citation_key": key, "background": True})
        urls.add(source["url"])
        keys.add(key)
    entities = {e["slug"]: dict(e) for e in ours["entities"]}
    for e in theirs["entities"]:
        if e["slug"] in entities:
            entities[e["slug"]]["roles"] = list(dict.fromkeys([*entities[e["slug"]]["roles"], *e["roles"]]))
        else:
            entities[e["slug"]] = dict(e)
    systems = {s["slug"]: s for s in ours["systems"]}
    systems.update({s["slug"]: s for s in theirs["systems"] if s["slug"] not in systems})
    data = {"sources": sources, "entities": list(entities.values()), "systems": list(systems.values())}
    if ours["type"] == RecordType.INCIDENT:
        links = {link["id"]: link for link in [*ours["materialized_from"], *theirs["materialized_from"]]}
        data["materialized_from"] = [{"id": pk} for pk in links]
    return data


def _close_merged(loser: Record, survivor: Record, public: PublicRecord, actor, now) -> RecordVersion:
    """The loser's last version: its public document, saying where it went; it leaves lists like a withdrawal."""
    previous = public.version
    where = {"id": survivor.pk, "slug": survivor.public_slug or survivor.slug}
    doc = {
        **previous.document,
        "version": previous.number + 1,
        "published_at": now.isoformat(),
        "merged_into": where,
        "withdrawn": {
            "at": now.isoformat(),
            "reason_en": f"Merged into record {survivor.pk} ({where['slug']}), which covers the same events.",
            "reason_fr": f"Fusionnée avec la fiche {survivor.pk} ({where['slug']}), qui couvre les mêmes faits.",
        },
    }
    version = RecordVersion.objects.create(
        record=loser, number=previous.number + 1, kind=VersionKind.MERGE, document=doc,
        staff_document=previous.staff_document, changelog_en=doc["withdrawn"]["reason_en"],
        changelog_fr=doc["withdrawn"]["reason_fr"], published_at=now, published_by=actor,
    )  # fmt: skip
    Record.objects.filter(pk=loser.pk).update(current_version=version)
    project_public(loser.pk, version)
    PublicRecord.objects.filter(pk=loser.pk).update(merged_into_id=survivor.pk)
    return version
