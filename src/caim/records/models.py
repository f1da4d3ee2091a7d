"""The record model (SPEC §1).

Two layers:
- the *working copy* (Record and its child rows) that editors change through `records.actions`;
- the *public layer*: immutable RecordVersion snapshots (the public JSON document of each published version)
  and PublicRecord, a projection of each public record's current version that lists, feeds and search query.
  Only the publish and withdraw actions write the public layer, so nothing unpublished can reach it.

What each field means, and everything that reads it, is declared in records/fields.py. Controlled values
(severity, harm types, ...) are stored as slugs and validated against taxonomy.yaml, so the
vocabularies can change without a migration. Record type, status and date precision are structural: code
depends on them, so they are choices.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import connection, models
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from caim.i18n import page_language
from caim.records.queries import ListedQuerySet, PublicRecordQuerySet


class RecordType(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    HAZARD = "hazard", _("Hazard")


class Origin(models.TextChoices):
    EDITORIAL = "editorial", _("Written by the editors")
    SYNTHETIC = "synthetic", _("Synthetic (benchmarks)")
    IMPORTED = "imported", _("Imported from another database")


class Status(models.TextChoices):
    SCREENING = "screening", _("Screening")
    VERIFICATION = "verification", _("Verification")
    ASSESSMENT = "assessment", _("Assessment")
    REVIEW = "review", _("Review")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    MERGED = "merged", _("Merged into another record")


DRAFT_STATUSES = (Status.SCREENING, Status.VERIFICATION, Status.ASSESSMENT, Status.REVIEW)


class Precision(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")
    APPROXIMATE = "approximate", _("Approximate")


def precision_field():
    return models.CharField(max_length=12, choices=Precision.choices, default=Precision.DAY)


class Record(models.Model):
    """The working copy of an incident or a hazard: one table, one id sequence for both types."""

    record_type = models.CharField(max_length=10, choices=RecordType.choices, db_index=True)
    slug = models.SlugField(max_length=200, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCREENING, db_index=True)
    lock_version = models.PositiveIntegerField(default=0, help_text="Optimistic lock: bumped by every save.")
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.EDITORIAL, db_index=True)
    original_language = models.CharField(
        max_length=2, default="en", choices=[("en", "English"), ("fr", "French")]
    )

    title_en = models.CharField(max_length=300, blank=True)
    title_fr = models.CharField(max_length=300, blank=True)
    summary_en = models.TextField(blank=True)
    summary_fr = models.TextField(blank=True)
    narrative_en = models.TextField(blank=True)
    narrative_fr = models.TextField(blank=True)
    editorial_assessment_en = models.TextField(blank=True)
    editorial_assessment_fr = models.TextField(blank=True)
    governance_gap_en = models.TextField(blank=True)
    governance_gap_fr = models.TextField(blank=True)
    dispute_note_en = models.TextField(blank=True)
    dispute_note_fr = models.TextField(blank=True)
    canada_nexus_note_en = models.TextField(blank=True)
    canada_nexus_note_fr = models.TextField(blank=True)
    translation_status = models.JSONField(
        default=dict, blank=True, help_text="Per field and language: original | human | machine | missing."
    )

    severity = models.CharField(max_length=20, blank=True)
    domains = models.JSONField(default=list, blank=True)
    harm_types = models.JSONField(default=list, blank=True)
    ai_pathways = models.JSONField(default=list, blank=True)
    lifecycle_phases = models.JSONField(default=list, blank=True)
    canada_nexus = models.CharField(max_length=40, blank=True)
    provinces = models.JSONField(
        default=list,
        blank=True,
        help_text="Provinces and territories of the Canada nexus (vocabulary province).",
    )
    private_persons = models.JSONField(
        default=list, blank=True, help_text="Staff only; never in public text."
    )
    same_as = models.JSONField(default=list, blank=True, help_text="[{db: aiid|oecd|..., id: ...}]")

    # Incident only.
    occurred = models.DateField(null=True, blank=True)
    occurred_precision = precision_field()
    occurred_end = models.DateField(null=True, blank=True)
    occurred_end_precision = precision_field()
    reported = models.DateField(null=True, blank=True)
    verification = models.CharField(max_length=20, blank=True)
    dispute = models.CharField(max_length=20, blank=True, help_text="Empty, or 'contested'.")
    materialized_from = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="materialized_incidents"
    )

    # Hazard only.
    hazard_status = models.CharField(max_length=20, blank=True)
    confidence = models.CharField(max_length=10, blank=True)
    identified = models.DateField(null=True, blank=True)
    identified_precision = precision_field()
    last_assessed = models.DateField(null=True, blank=True)

    withdrawn_reason_en = models.TextField(blank=True)
    withdrawn_reason_fr = models.TextField(blank=True)

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    first_published_at = models.DateTimeField(null=True, blank=True)
    current_version = models.ForeignKey(
        "RecordVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_records",
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records",
        help_text="The record this one was merged into (a duplicate): its addresses lead there.",
    )  # fmt: skip

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.record_type} {self.id} {self.slug}"

    @property
    def is_incident(self) -> bool:
        return self.record_type == RecordType.INCIDENT

    @property
    def is_public(self) -> bool:
        return self.status in (Status.PUBLISHED, Status.WITHDRAWN)

    @property
    def public_slug(self) -> str | None:
        """The slug readers know the record by, or None if it was never public. A rename in the working copy
        is not public until a reviewer publishes it."""
        try:
            return self.public.slug
        except PublicRecord.DoesNotExist:
            return None


class Source(models.Model):
    """A public URL used as evidence, with what is known of the URL itself (link checks). One URL, one row,
    shared by every record that cites it, so that intake can find the records citing a URL."""

    url = models.URLField(max_length=2000, unique=True)
    accessed_at = models.DateTimeField(null=True, blank=True)
    link_status = models.CharField(max_length=40, blank=True, help_text="Last link check result.")

    def __str__(self) -> str:
        return self.url


class RecordSource(models.Model):
    """A source as one record cites it: number, citation key, what it supports, and its bibliographic details.

    The details belong to the citing record, not to the shared URL row: a draft that describes a URL
    differently never changes what a published record says about it.
    """

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="record_sources")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    number = models.PositiveSmallIntegerField()
    citation_key = models.CharField(max_length=150)
    source_type = models.CharField(max_length=20)
    publisher = models.CharField(max_length=300)
    title = models.CharField(max_length=500)
    date_published = models.DateField(null=True, blank=True)
    date_precision = precision_field()
    language = models.CharField(max_length=8, default="en")
    archived_url = models.URLField(max_length=2000, blank=True)
    supports_en = models.TextField(blank=True)
    supports_fr = models.TextField(blank=True)
    background = models.BooleanField(default=False, help_text="Consulted, not cited in the text.")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["record", "number"], name="recordsource_unique_number"),
            models.UniqueConstraint(fields=["record", "citation_key"], name="recordsource_unique_key"),
        ]

    def __str__(self) -> str:
        return f"[{self.number}] {self.citation_key}"

    @property
    def url(self) -> str:
        return self.source.url


class Harm(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="harms")
    position = models.PositiveSmallIntegerField()
    description_en = models.TextField(blank=True)
    description_fr = models.TextField(blank=True)
    harm_types = models.JSONField(default=list)
    severity = models.CharField(max_length=20, blank=True)
    reach = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"harm {self.position} of record {self.record_id}"


class Entity(models.Model):
    """An organisation, public body, court or public office-holder, with its own public page."""

    slug = models.SlugField(max_length=200, unique=True)
    name = models.CharField(max_length=300)
    # The official French name; empty: the name is the same in French, or has no French form (French pages then
    # show `name`, marked as English). Set it equal to `name` for a name that is the same in both languages.
    name_fr = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=30)
    jurisdiction = models.CharField(max_length=12, blank=True)
    # Other names: in English or in no language (acronyms), and in French.
    aliases = models.JSONField(default=list, blank=True)
    aliases_fr = models.JSONField(default=list, blank=True)
    description_en = models.TextField(blank=True)
    description_fr = models.TextField(blank=True)
    same_as = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "entities"

    def __str__(self) -> str:
        return self.name


class AISystem(models.Model):
    slug = models.SlugField(max_length=200, unique=True)
    name = models.CharField(max_length=300)
    name_fr = models.CharField(max_length=300, blank=True)  # as Entity.name_fr
    developer = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="systems"
    )
    system_type = models.CharField(max_length=30)
    description_en = models.TextField(blank=True)
    description_fr = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "AI system"

    def __str__(self) -> str:
        return self.name


class RecordEntity(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="record_entities")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="record_links")
    position = models.PositiveSmallIntegerField()
    roles = models.JSONField(default=list)
    description_en = models.TextField(blank=True)
    description_fr = models.TextField(blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["record", "entity"], name="recordentity_unique")]

    def __str__(self) -> str:
        return f"{self.entity_id} in record {self.record_id}"


class RecordSystem(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="record_systems")
    system = models.ForeignKey(AISystem, on_delete=models.PROTECT, related_name="record_links")
    position = models.PositiveSmallIntegerField()
    involvement_en = models.TextField(blank=True)
    involvement_fr = models.TextField(blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["record", "system"], name="recordsystem_unique")]

    def __str__(self) -> str:
        return f"{self.system_id} in record {self.record_id}"


class Response(models.Model):
    """An institutional or corporate response (investigation, ruling, policy change, ...)."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="responses")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=30)
    actor = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    date = models.DateField(null=True, blank=True)
    date_precision = precision_field()
    description_en = models.TextField(blank=True)
    description_fr = models.TextField(blank=True)
    source_key = models.CharField(
        max_length=150, blank=True, help_text="citation_key of one of the record's sources"
    )

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.kind} on record {self.record_id}"


class PolicyRecommendation(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="policy_recommendations")
    position = models.PositiveSmallIntegerField()
    text_en = models.TextField(blank=True)
    text_fr = models.TextField(blank=True)
    source_key = models.CharField(max_length=150, help_text="citation_key of the source it is attributed to")

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"recommendation {self.position} of record {self.record_id}"


class Mitigation(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="mitigations")
    position = models.PositiveSmallIntegerField()
    pathway = models.CharField(max_length=40)
    text_en = models.TextField(blank=True)
    text_fr = models.TextField(blank=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.pathway} mitigation of record {self.record_id}"


class SlugRedirect(models.Model):
    """An earlier slug of a record; its URLs redirect permanently to the current one."""

    old_slug = models.SlugField(max_length=200, unique=True)
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="slug_redirects")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.old_slug} -> record {self.record_id}"


class EntityRedirect(models.Model):
    """The slug of an entity merged into another: its page redirects permanently to the survivor's."""

    old_slug = models.SlugField(max_length=200, unique=True)
    old_id = models.BigIntegerField(help_text="The merged entity's id: its audit events keep it.")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.old_slug} -> entity {self.entity_id}"


class VersionKind(models.TextChoices):
    PUBLICATION = "publication", _("Publication")
    CORRECTION = "correction", _("Correction")
    REVERT = "revert", _("Revert")
    WITHDRAWAL = "withdrawal", _("Withdrawal")
    MERGE = "merge", _("Merged into another record")


class RecordVersion(models.Model):
    """An immutable snapshot of one published version: the public JSON document, plus staff-only fields."""

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=12, choices=VersionKind.choices, default=VersionKind.PUBLICATION)
    document = models.JSONField(help_text="Public record document, exactly as pages and the API show it.")
    staff_document = models.JSONField(default=dict, help_text="Staff-only fields (private persons, ...).")
    changelog_en = models.TextField()
    changelog_fr = models.TextField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["record", "number"]
        constraints = [
            models.UniqueConstraint(fields=["record", "number"], name="recordversion_unique_number")
        ]
        indexes = [models.Index(fields=["kind", "-published_at"], name="version_kind_published")]

    def __str__(self) -> str:
        return f"record {self.record_id} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A published version is immutable; publish a new version instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("A published version is never deleted.")


def record_path(record_type: str, slug: str, lang: str, *, version: int | None = None) -> str:
    """The address of a record's page (or of one of its versions) in `lang`."""
    return _record_path(
        record_type, slug, lang, version, settings.ROOT_URLCONF, get_urlconf(), get_script_prefix()
    )


@lru_cache(maxsize=100_000)
def _record_path(record_type: str, slug: str, lang: str, version: int | None, *_urls) -> str:
    """record_path, remembered: lists, entity pages, feeds and sitemaps ask for the same addresses over and over
    (a static export, tens of thousands of times). `_urls` (the URL configuration and script prefix) are part
    of the key so that an address made under another configuration is never reused."""
    name = "incident" if record_type == RecordType.INCIDENT else "hazard"
    if version is None and _PLAIN_SLUG.fullmatch(slug):
        # A slug that the <str:ident> converter takes as it is and that needs no quoting: the address is the
        # page's address pattern around it, made once per record type and language (reverse costs ~0.1 ms, and
        # graph.json, the sitemap and the lists of a large export ask for tens of thousands of addresses).
        head, tail = _detail_around_slug(name, lang, *_urls)
        return head + slug + tail
    with override(lang):
        if version is not None:
            return reverse(f"records:{name}_version", kwargs={"ident": slug, "number": version})
        return reverse(f"records:{name}_detail", kwargs={"ident": slug})


_PLAIN_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_SLUG_MARK = "caim-slug-mark"


@lru_cache(maxsize=64)
def _detail_around_slug(name: str, lang: str, *_urls) -> tuple[str, str]:
    """The address of a record page in `lang`, before and after its slug (what reverse writes around it)."""
    with override(lang):
        path = reverse(f"records:{name}_detail", kwargs={"ident": _SLUG_MARK})
    head, _mark, tail = path.partition(_SLUG_MARK)
    return head, tail


class PublicRecord(models.Model):
    """Projection of a public record's current version, written only by publish and withdraw.

    Lists, counts, feeds and search read this table; a draft never has a row here.
    """

    record = models.OneToOneField(Record, primary_key=True, on_delete=models.CASCADE, related_name="public")
    version = models.ForeignKey(RecordVersion, on_delete=models.PROTECT, related_name="+")
    record_type = models.CharField(max_length=10, db_index=True)
    slug = models.SlugField(max_length=200, unique=True)
    title_en = models.CharField(max_length=300)
    title_fr = models.CharField(max_length=300, blank=True)
    summary_en = models.TextField(blank=True)
    summary_fr = models.TextField(blank=True)
    severity = models.CharField(max_length=20, blank=True)
    severity_rank = models.PositiveSmallIntegerField(default=0)
    verification = models.CharField(max_length=20, blank=True)
    contested = models.BooleanField(default=False)
    hazard_status = models.CharField(max_length=20, blank=True)
    confidence = models.CharField(max_length=10, blank=True)
    occurred = models.DateField(null=True, blank=True)
    occurred_precision = precision_field()
    event_date = models.DateField(
        null=True, blank=True, help_text="occurred (incidents) or identified (hazards)"
    )
    event_precision = precision_field()
    event_end = models.DateField(null=True, blank=True, help_text="occurred_end (incidents)")
    event_end_precision = precision_field()
    version_number = models.PositiveIntegerField()
    first_published_at = models.DateTimeField()
    published_at = models.DateTimeField(help_text="When the current version was published.")
    withdrawn = models.BooleanField(default=False, db_index=True)
    has_french = models.BooleanField(default=False)
    response_count = models.PositiveSmallIntegerField(default=0)
    source_count = models.PositiveSmallIntegerField(default=0)
    materialized_from = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="materialized_incidents"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Set when the record was merged into another: its addresses redirect there.",
    )  # fmt: skip

    objects = PublicRecordQuerySet.as_manager()

    # The columns a record's type and date line needs (RecordLink.meta_html and .when): every list of
    # records loads them with the rest of its row, so the line costs no query.
    META_COLUMNS = ("record_type", "event_date", "event_precision", "event_end", "event_end_precision",
                    "first_published_at")  # fmt: skip

    class Meta:
        indexes = [
            models.Index(fields=["withdrawn", "record_type", "-event_date"], name="public_type_event"),
            models.Index(fields=["withdrawn", "-first_published_at"], name="public_published"),
            models.Index(fields=["withdrawn", "-severity_rank"], name="public_severity"),
        ]

    def __str__(self) -> str:
        return f"public {self.record_type} {self.slug} v{self.version_number}"

    def get_absolute_url(self) -> str:
        return self.url(page_language())

    def title(self, lang: str) -> str:
        return (self.title_fr if lang == "fr" else self.title_en) or self.title_en

    def url(self, lang: str, *, version: int | None = None) -> str:
        return record_path(self.record_type, self.slug, lang, version=version)

    def version_at(self, number: int | None) -> RecordVersion | None:
        """Version `number` of the record (None: the current one), or None if there is no such version."""
        if number is None or number == self.version_number:
            return self.version
        return RecordVersion.objects.filter(record_id=self.pk, number=number).first()


class PublicState(models.Model):
    """One row whose `token` changes with every change to the public layer, in the same transaction.

    Processes that keep derived data in memory (the list index) compare it to know when to rebuild. A random
    token rather than a counter, so that a rolled-back change can never leave a value that comes back later.
    """

    token = models.CharField(max_length=32, default="")
    changed_at = models.DateTimeField(null=True, blank=True, help_text="When the public layer last changed.")

    def __str__(self) -> str:
        return f"public layer state {self.token}"

    @classmethod
    def bump(cls, record_ids: Iterable[int] | None = None) -> None:
        """A new token, and a line in the change log per record whose public rows changed (`None`: any may
        have, as after a re-projection)."""
        token, now = uuid.uuid4().hex, timezone.now()
        if not cls.objects.filter(pk=1).update(token=token, changed_at=now):
            cls.objects.update_or_create(pk=1, defaults={"token": token, "changed_at": now})
        PublicChange.record(record_ids, now)

    @classmethod
    def current(cls) -> str:
        return cls.current_with_time()[0]

    @classmethod
    def current_with_time(cls) -> tuple[str, datetime | None]:
        """(token, when it was set), in one query: an ETag and a Last-Modified.

        Every public answer starts here, kept ones included, so this is one plain statement rather than an ORM
        query (whose compilation costs more than the read itself)."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT token, changed_at FROM {cls._meta.db_table} WHERE id = 1")  # noqa: S608
            row = cursor.fetchone()
        if row is None:
            return "", None
        token, changed_at = row
        if isinstance(changed_at, str):  # SQLite returns the stored text
            changed_at = datetime.fromisoformat(changed_at).replace(tzinfo=UTC)
        return token, changed_at


class PublicChange(models.Model):
    """Which records' public rows each change of the public layer touched, so that a process holding derived
    data (the list index) updates those records instead of reading everything again. A row without a record
    means that any record may have changed. Kept for `KEPT`, enough for any process that serves requests."""

    KEPT = timedelta(days=7)
    MANY = 500  # more records than this in one change: "any may have changed" (reading all is then cheaper)
    # A reader looks for changes from this long before it last read: a transaction that logged its change earlier
    # may commit after a later one, and reading a record twice does no harm.
    LOOKBACK = timedelta(seconds=60)
    # Derived data not brought up to date for this long may miss changes the log no longer holds.
    STALE_AFTER = KEPT - timedelta(days=1)

    record_id = models.IntegerField(null=True, blank=True)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"public change of {self.record_id or 'every record'} at {self.at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def record(cls, record_ids: Iterable[int] | None, now: datetime) -> None:
        ids = None if record_ids is None else sorted(set(record_ids))
        if ids is None or len(ids) > cls.MANY:
            cls.objects.create(record_id=None, at=now)
        else:
            cls.objects.bulk_create(cls(record_id=pk, at=now) for pk in ids)
        if now.minute == 0:  # about once an hour of activity is enough to keep the table small
            cls.prune(now)

    @classmethod
    def prune(cls, now: datetime) -> int:
        """Delete the changes older than KEPT (also done once a day by a background task, for quiet monitors)."""
        return cls.objects.filter(at__lt=now - cls.KEPT).delete()[0]

    @classmethod
    def since_read(cls, read_at: datetime) -> set[int] | None:
        """The records changed since derived data was read at `read_at` (from LOOKBACK before it); None when the
        log cannot say: any record may have changed, or the log may have been pruned since."""
        if timezone.now() - read_at > cls.STALE_AFTER:
            return None
        return cls.since(read_at - cls.LOOKBACK)

    @classmethod
    def since(cls, when: datetime) -> set[int] | None:
        """The records changed at or after `when`; None if any record may have."""
        ids = set(cls.objects.filter(at__gte=when).values_list("record_id", flat=True))
        return None if None in ids else ids


class PublicEntityRole(models.Model):
    """An entity's role in a public record (as published), for entity pages and the entity filter."""

    record = models.ForeignKey(PublicRecord, on_delete=models.CASCADE, related_name="entity_roles")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="public_roles")
    role = models.CharField(max_length=30)

    objects = ListedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "entity", "role"], name="publicentityrole_unique")
        ]
        indexes = [models.Index(fields=["entity", "role"], name="public_entity_role")]

    def __str__(self) -> str:
        return f"{self.entity_id} {self.role} in {self.record_id}"


class PublicSystemLink(models.Model):
    """An AI system named in a public record (as published), for system pages and the system filter."""

    record = models.ForeignKey(PublicRecord, on_delete=models.CASCADE, related_name="system_links")
    system = models.ForeignKey(AISystem, on_delete=models.CASCADE, related_name="public_links")

    objects = ListedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "system"], name="publicsystemlink_unique")]

    def __str__(self) -> str:
        return f"{self.system_id} in {self.record_id}"


class RecordEmbedding(models.Model):
    """The vector of a public record's current version, for related records; `model_id` names its embedder."""

    record = models.OneToOneField(
        PublicRecord, primary_key=True, on_delete=models.CASCADE, related_name="embedding"
    )
    model_id = models.CharField(max_length=60, db_index=True)
    vector = models.BinaryField()

    objects = ListedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.model_id} vector of {self.record_id}"


class RelatedRecord(models.Model):
    """One of a public record's most similar records, computed when either of them is published."""

    record = models.ForeignKey(PublicRecord, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(PublicRecord, on_delete=models.CASCADE, related_name="related_from")
    score = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "related"], name="relatedrecord_unique")]
        indexes = [models.Index(fields=["record", "-score"], name="related_by_score")]

    def __str__(self) -> str:
        return f"{self.record_id} ~ {self.related_id} ({self.score:.2f})"


class PublicTag(models.Model):
    """A taxonomy value of a public record (domain, harm type, ...), for filters and facet counts."""

    record = models.ForeignKey(PublicRecord, on_delete=models.CASCADE, related_name="tags")
    vocabulary = models.CharField(max_length=30)
    slug = models.CharField(max_length=40)

    objects = ListedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "vocabulary", "slug"], name="publictag_unique")
        ]
        indexes = [models.Index(fields=["vocabulary", "slug"], name="publictag_value")]

    def __str__(self) -> str:
        return f"{self.vocabulary}:{self.slug}"


class AuditEvent(models.Model):
    """One state change of a record (or, later, a lead): who, when, what, before/after."""

    subject_type = models.CharField(max_length=30)
    subject_id = models.BigIntegerField()
    verb = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "at"], name="audit_subject")]

    def __str__(self) -> str:
        return f"{self.verb} on {self.subject_type} {self.subject_id} at {self.at:%Y-%m-%d %H:%M}"
