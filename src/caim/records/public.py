"""The writer of the public layer: PublicRecord rows, their tags, entity roles, system links and related
records, all derived from a record's current public version document.

Called only by the publish and withdraw actions (one record) and by the batch actions (many records); the row
builders are shared so that both paths write exactly the same thing. `refresh_related` is the one exception,
run by a background task (records/tasks.py) after a publication changed a record that others list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction

from caim.records import vectors
from caim.records.fields import facets, get_path
from caim.records.models import (
    AISystem,
    Entity,
    PublicEntityRole,
    PublicRecord,
    PublicState,
    PublicSystemLink,
    PublicTag,
    RecordEmbedding,
    RecordType,
    RecordVersion,
    RelatedRecord,
)
from caim.records.signals import public_record_changed
from caim.records.similarity import MIN_SCORE, RELATED_COUNT, get_embedder, to_blob
from caim.taxonomy.loader import get_taxonomy


def public_columns(doc: dict, version: RecordVersion) -> dict:
    """The PublicRecord column values of a version: the declared list filters (fields.facets("field"), one
    column each, of the same name) and what lists show and sort by."""
    return {
        **{f.name: get_path(doc, f.path) or "" for f in facets("field")},
        "version": version,
        "record_type": doc["type"],
        "slug": doc["slug"],
        "title_en": doc["title_en"] or doc["title_fr"],
        "title_fr": doc["title_fr"],
        "summary_en": doc["summary_en"],
        "summary_fr": doc["summary_fr"],
        "severity_rank": get_taxonomy()["severity"].rank(doc["severity"]),
        "contested": doc.get("dispute") == "contested",
        "occurred": doc.get("occurred"),
        "occurred_precision": doc.get("occurred_precision") or "day",
        **event_columns(doc),
        "version_number": version.number,
        "first_published_at": doc["first_published_at"],
        "published_at": version.published_at,
        "withdrawn": "withdrawn" in doc,
        "has_french": bool(doc["title_fr"] and doc["summary_fr"]),
        "response_count": len(doc["responses"]),
        "source_count": len(doc["sources"]),
    }


def event_columns(doc: dict) -> dict:
    """The record's event date with its precision (incident: occurred, to occurred_end; hazard: identified)."""
    if doc["type"] == RecordType.INCIDENT:
        return {
            "event_date": doc.get("occurred"),
            "event_precision": doc.get("occurred_precision") or "day",
            "event_end": doc.get("occurred_end") or None,
            "event_end_precision": doc.get("occurred_end_precision") or "day",
        }
    return {
        "event_date": doc.get("identified"),
        "event_precision": doc.get("identified_precision") or "day",
        "event_end": None,
        "event_end_precision": "day",
    }


def tag_rows(record_id: int, doc: dict) -> list[PublicTag]:
    """A row per taxonomy value of the record, for the declared tag filters (fields.facets("tag"))."""
    return [
        PublicTag(record_id=record_id, vocabulary=f.vocabulary, slug=slug)
        for f in facets("tag")
        for slug in dict.fromkeys(get_path(doc, f.path) or [])
    ]


def link_rows(
    record_id: int, doc: dict, entity_ids: dict[str, int], system_ids: dict[str, int]
) -> tuple[list[PublicEntityRole], list[PublicSystemLink]]:
    roles = [
        PublicEntityRole(record_id=record_id, entity_id=entity_ids[e["slug"]], role=role)
        for e in doc["entities"]
        if e["slug"] in entity_ids
        for role in dict.fromkeys(e["roles"])
    ]
    systems = [
        PublicSystemLink(record_id=record_id, system_id=system_ids[s["slug"]])
        for s in doc["systems"]
        if s["slug"] in system_ids
    ]
    return roles, systems


def _ids_by_slug(docs: Iterable[dict]) -> tuple[dict[str, int], dict[str, int]]:
    docs = list(docs)
    entity_slugs = {e["slug"] for d in docs for e in d["entities"]}
    system_slugs = {s["slug"] for d in docs for s in d["systems"]}
    entities = dict(Entity.objects.filter(slug__in=entity_slugs).values_list("slug", "pk"))
    systems = dict(AISystem.objects.filter(slug__in=system_slugs).values_list("slug", "pk"))
    return entities, systems


def project_public(record_id: int, version: RecordVersion) -> PublicRecord:
    """Write the public layer of one record from its current public version."""
    doc = version.document
    public, _ = PublicRecord.objects.update_or_create(
        record_id=record_id, defaults=public_columns(doc, version)
    )
    PublicTag.objects.filter(record=public).delete()
    PublicTag.objects.bulk_create(tag_rows(public.pk, doc))
    # Entities and systems the record named before this version may stop being public: tell the listeners.
    previous_entities = set(
        PublicEntityRole.objects.filter(record=public).values_list("entity_id", flat=True)
    )
    previous_systems = set(PublicSystemLink.objects.filter(record=public).values_list("system_id", flat=True))
    PublicEntityRole.objects.filter(record=public).delete()
    PublicSystemLink.objects.filter(record=public).delete()
    if not public.withdrawn:  # a withdrawn record leaves entity and system pages
        roles, systems = link_rows(public.pk, doc, *_ids_by_slug([doc]))
        PublicEntityRole.objects.bulk_create(roles)
        PublicSystemLink.objects.bulk_create(systems)
    # The change log names every record whose public rows change: its neighbours' related lists, the hazards
    # it materializes (before and after) show it too.
    others = update_related(public, doc)
    if doc["type"] == RecordType.INCIDENT:  # the lint only lets an incident link to public hazards
        hazard_ids = [link["id"] for link in doc.get("materialized_from", [])]
        others |= set(public.materialized_from.values_list("pk", flat=True)) | set(hazard_ids)
        public.materialized_from.set(PublicRecord.objects.filter(pk__in=hazard_ids))
    PublicState.bump([public.pk, *others])
    public_record_changed.send(
        sender=PublicRecord,
        public=public,
        document=doc,
        previous_entities=previous_entities,
        previous_systems=previous_systems,
    )
    return public


def update_related(public: PublicRecord, doc: dict) -> set[int]:
    """Store the record's vector, its most similar public records, and offer it to theirs (SPEC §6.4). Returns
    the other records whose lists it may have changed (for the change log).

    The records that listed it before are left as this publication finds them (a withdrawn record leaves a gap
    in their lists; a changed one may stay with its old score): a `refresh_related` task queued with the
    publication computes their lists again once it is committed, outside the publication's transaction."""
    listers = set(
        RelatedRecord.objects.filter(related=public)
        .exclude(record=public)
        .values_list("record_id", flat=True)
    )
    if listers:
        _queue_refresh(listers)
    RelatedRecord.objects.filter(record=public).delete()
    if public.withdrawn:
        RelatedRecord.objects.filter(related=public).delete()
        RecordEmbedding.objects.filter(record=public).delete()
        return listers
    embedder = get_embedder()
    vector = embedder.embed([doc])[0]
    # Compared with the others' vectors as the change log describes them: before this record's own is written
    # (it is logged with the rest of the publication, after this).
    found = vectors.nearest(embedder.model_id, vector, RELATED_COUNT, exclude=public.pk)
    RecordEmbedding.objects.update_or_create(
        record=public, defaults={"model_id": embedder.model_id, "vector": to_blob(vector)}
    )
    # Only records listed now: a vector kept in this process may outlive a change that was rolled back.
    listed_ids = set(
        PublicRecord.objects.listed().filter(pk__in=[pk for pk, _ in found]).values_list("pk", flat=True)
    )
    top = [(pk, score) for pk, score in found if score >= MIN_SCORE and pk in listed_ids]
    RelatedRecord.objects.bulk_create(
        RelatedRecord(record=public, related_id=pk, score=score) for pk, score in top
    )
    for pk, score in top:  # similarity is symmetric: the new record may belong in its neighbours' lists too
        theirs = list(RelatedRecord.objects.filter(record_id=pk).order_by("-score"))
        if any(link.related_id == public.pk for link in theirs):
            RelatedRecord.objects.filter(record_id=pk, related=public).update(score=score)
        elif len(theirs) < RELATED_COUNT or score > theirs[-1].score:
            RelatedRecord.objects.create(record_id=pk, related=public, score=score)
            if len(theirs) >= RELATED_COUNT:
                theirs[-1].delete()
    return {pk for pk, _score in top}


def _queue_refresh(record_ids: Iterable[int]) -> None:
    from caim import background
    from caim.records.tasks import refresh_related as refresh_task

    background.enqueue(refresh_task, sorted(record_ids))


def _related_lists(ids: list[int]) -> dict[int, list[tuple[int, float]]]:
    lists: dict[int, list[tuple[int, float]]] = {pk: [] for pk in ids}
    rows = RelatedRecord.objects.filter(record_id__in=ids).order_by("record_id", "-score", "related_id")
    for pk, related, score in rows.values_list("record_id", "related_id", "score"):
        lists[pk].append((related, round(score, 5)))
    return lists


def refresh_related(record_ids: Iterable[int]) -> list[int]:
    """The related records of `record_ids` (those listed now) computed again from every listed record's vector;
    the records whose list changed are logged as changed (their pages and files are rendered again). Returns
    them. Run twice, the second run changes nothing."""
    with transaction.atomic():
        ids = sorted(
            PublicRecord.objects.listed().filter(pk__in=list(record_ids)).values_list("pk", flat=True)
        )
        before = _related_lists(ids)
        bulk_related(ids)
        after = _related_lists(ids)
        changed = [pk for pk in ids if before[pk] != after[pk]]
        if changed:
            PublicState.bump(changed)
    return changed


# -- many records at once -------------------------------------------------------------------------------------


def reproject_all(batch: int = 1000, progress: Callable[[int], None] | None = None) -> int:
    """Write every public record's columns and tags again from its current version document: after a list
    filter was added to the declaration, records published before it get their value. Versions, links and
    related records are left as they are; nothing unpublished is read."""
    done = 0
    columns = [f.name for f in PublicRecord._meta.concrete_fields if f.name != "record"]
    for start in range(0, PublicRecord.objects.count(), batch):
        with transaction.atomic():
            publics = list(
                PublicRecord.objects.select_related("version").order_by("pk")[start : start + batch]
            )
            for public in publics:
                for name, value in public_columns(public.version.document, public.version).items():
                    setattr(public, name, value)
            PublicRecord.objects.bulk_update(publics, [c for c in columns if c != "version"])
            PublicTag.objects.filter(record__in=publics).delete()
            PublicTag.objects.bulk_create(
                [tag for public in publics for tag in tag_rows(public.pk, public.version.document)]
            )
        done += len(publics)
        if progress:
            progress(done)
    with transaction.atomic():
        PublicState.bump()
    return done


def bulk_project(versions: list[RecordVersion], batch: int = 1000) -> list[PublicRecord]:
    """The public layer of records published for the first time, in bulk (batch actions only).

    Links between records (materialized_from) and the search index are left to the caller: related records are
    computed by `bulk_related` once every vector exists.
    """
    docs = [v.document for v in versions]
    publics = [PublicRecord(record_id=v.record_id, **public_columns(v.document, v)) for v in versions]
    PublicRecord.objects.bulk_create(publics, batch_size=batch)
    entity_ids, system_ids = _ids_by_slug(docs)
    tags, roles, systems = [], [], []
    for version, doc in zip(versions, docs, strict=True):
        tags += tag_rows(version.record_id, doc)
        more_roles, more_systems = link_rows(version.record_id, doc, entity_ids, system_ids)
        roles += more_roles
        systems += more_systems
    PublicTag.objects.bulk_create(tags, batch_size=batch)
    PublicEntityRole.objects.bulk_create(roles, batch_size=batch)
    PublicSystemLink.objects.bulk_create(systems, batch_size=batch)
    embedder = get_embedder()
    vectors = embedder.embed(docs)
    RecordEmbedding.objects.bulk_create(
        (
            RecordEmbedding(record_id=v.record_id, model_id=embedder.model_id, vector=to_blob(vector))
            for v, vector in zip(versions, vectors, strict=True)
        ),
        batch_size=batch,
    )
    PublicState.bump([v.record_id for v in versions])
    return publics


def bulk_related(record_ids: list[int], chunk: int = 256) -> int:
    """Related records of `record_ids` among all public records, by blocks of matrix products."""
    embedder = get_embedder()
    all_ids, matrix = vectors.listed_vectors(embedder.model_id)
    if not len(all_ids):
        return 0
    position = {pk: i for i, pk in enumerate(all_ids.tolist())}
    wanted = [pk for pk in record_ids if pk in position]
    RelatedRecord.objects.filter(record_id__in=wanted).delete()
    created = 0
    for start in range(0, len(wanted), chunk):
        block = wanted[start : start + chunk]
        scores = matrix[[position[pk] for pk in block]] @ matrix.T
        for row, pk in enumerate(block):
            scores[row, position[pk]] = -1.0  # never related to itself
        k = min(RELATED_COUNT, scores.shape[1] - 1)
        if k <= 0:
            break
        links = []
        for row, pk in enumerate(block):
            for col in vectors.best_positions(scores[row], all_ids, k):
                if scores[row, col] >= MIN_SCORE:
                    links.append(
                        RelatedRecord(
                            record_id=pk, related_id=int(all_ids[col]), score=float(scores[row, col])
                        )
                    )
        RelatedRecord.objects.bulk_create(links)
        created += len(links)
    return created
