"""The AI Incident Database as a reference corpus (`caim import-aiid`), beside the monitor's own records.

Nothing here is a record or part of the public layer: no public page, list, search or export reads these tables.
Screening and deduplication look things up here (by AIID incident id, report URL, entity slug); `--as-drafts`
also creates draft records from the incidents, linked through `AiidIncident.draft`.

AIID content is CC BY-SA 4.0: "AI Incident Database (incidentdatabase.ai), Responsible AI Collaborative".
Models are listed in dependency order (the backup writes them in this order).
"""

from __future__ import annotations

from django.db import models


class AiidEntity(models.Model):
    """An AIID entity. Its id is AIID's own slug, which may hold dots, quotes or parentheses."""

    slug = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=300)
    name_derived = models.BooleanField(
        default=False,
        help_text="The GraphQL export gives no name: this one is derived from the slug (names.derive_name).",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["slug"]
        verbose_name = "AIID entity"
        verbose_name_plural = "AIID entities"

    def __str__(self) -> str:
        return self.slug


class AiidReport(models.Model):
    """An AIID report (a news article, paper, ...). Title, URL and authors come from the GraphQL export."""

    report_number = models.PositiveIntegerField(unique=True)
    title = models.TextField(blank=True)
    url = models.CharField(max_length=2000, blank=True)
    authors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["report_number"]
        verbose_name = "AIID report"
        indexes = [models.Index(fields=["url"], name="aiid_report_url")]

    def __str__(self) -> str:
        return f"AIID report {self.report_number}"


class AiidIncident(models.Model):
    """An AIID incident as the snapshot gives it, with its classifications mapped into our vocabularies.

    The mapped columns (record_type ... lifecycle_phases) hold our slugs, from the `aiid` crosswalks of
    taxonomy.yaml (see caim.interop.aiid.crosswalk); `unmapped` keeps the AIID values that mapped to none of
    ours, by crosswalk field, and `provenance` the AIID field and value that produced each mapped value. The raw
    classifications are in AiidClassification.
    """

    incident_id = models.PositiveIntegerField(unique=True)
    object_id = models.CharField(max_length=24, blank=True, help_text="AIID's MongoDB _id.")
    date = models.DateField(null=True, blank=True)
    title = models.TextField()
    description = models.TextField(blank=True)
    deployers = models.JSONField(default=list, blank=True, help_text="AIID entity slugs, in AIID's order.")
    developers = models.JSONField(default=list, blank=True)
    harmed = models.JSONField(default=list, blank=True)
    oecd_ids = models.JSONField(default=list, blank=True, help_text="OECD AIM incident ids.")
    reports = models.ManyToManyField(AiidReport, through="AiidIncidentReport", related_name="incidents")
    entities = models.ManyToManyField(AiidEntity, through="AiidIncidentEntity", related_name="incidents")

    record_type = models.CharField(max_length=10, blank=True)
    severity = models.CharField(max_length=20, blank=True)
    domains = models.JSONField(default=list, blank=True)
    harm_types = models.JSONField(default=list, blank=True)
    ai_pathways = models.JSONField(default=list, blank=True)
    lifecycle_phases = models.JSONField(default=list, blank=True)
    unmapped = models.JSONField(default=dict, blank=True, help_text="{crosswalk field: [AIID values]}")
    provenance = models.JSONField(
        default=dict,
        blank=True,
        help_text="Why each mapped value was given: {vocabulary: {slug: [[crosswalk field, AIID value], ...]}}.",
    )

    draft = models.ForeignKey(
        "records.Record", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The draft record created from this incident (import-aiid --as-drafts).",
    )  # fmt: skip
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["incident_id"]
        verbose_name = "AIID incident"

    def __str__(self) -> str:
        return f"AIID incident {self.incident_id}"


class AiidIncidentReport(models.Model):
    incident = models.ForeignKey(AiidIncident, on_delete=models.CASCADE, related_name="report_links")
    report = models.ForeignKey(AiidReport, on_delete=models.CASCADE, related_name="incident_links")
    position = models.PositiveIntegerField()
    graphql_only = models.BooleanField(
        default=False, help_text="Linked by the GraphQL export only, not by the snapshot's incidents.csv."
    )

    class Meta:
        ordering = ["incident", "position"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "report"], name="aiid_incidentreport_unique")
        ]

    def __str__(self) -> str:
        return f"report {self.report_id} of AIID incident {self.incident_id}"


class EntityRole(models.TextChoices):
    DEPLOYER = "deployer", "Alleged deployer of AI system"
    DEVELOPER = "developer", "Alleged developer of AI system"
    HARMED = "harmed", "Alleged harmed or nearly harmed parties"


class AiidIncidentEntity(models.Model):
    incident = models.ForeignKey(AiidIncident, on_delete=models.CASCADE, related_name="entity_links")
    entity = models.ForeignKey(AiidEntity, on_delete=models.CASCADE, related_name="incident_links")
    role = models.CharField(max_length=10, choices=EntityRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "entity", "role"], name="aiid_incidententity_unique")
        ]
        indexes = [models.Index(fields=["entity", "role"], name="aiid_entity_role")]

    def __str__(self) -> str:
        return f"{self.entity_id} {self.role} in AIID incident {self.incident_id}"


class AiidClassification(models.Model):
    """One AIID classification of an incident (namespace CSETv1, MIT, GMF, CSETv0, ...), its cells as found."""

    incident = models.ForeignKey(AiidIncident, on_delete=models.CASCADE, related_name="classifications")
    namespace = models.CharField(max_length=40)
    published = models.BooleanField(
        null=True, default=False, help_text="None: the Published cell said neither True nor False."
    )
    values = models.JSONField(
        default=dict, help_text="{column: cell text}; blank cells and cells dropped as unreadable left out."
    )

    class Meta:
        ordering = ["incident", "namespace"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "namespace"], name="aiid_classification_unique")
        ]
        indexes = [models.Index(fields=["namespace"], name="aiid_classification_ns")]

    def __str__(self) -> str:
        return f"{self.namespace} classification of AIID incident {self.incident_id}"


class ImportStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partial (rows skipped or cells dropped)"
    FAILED = "failed", "Failed"


class AiidImportRun(models.Model):
    """One run of `caim import-aiid`: when, what it found and changed, and the rows it skipped (with why)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.RUNNING)
    path = models.CharField(max_length=1000)
    as_drafts = models.BooleanField(default=False)
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True, help_text="[{file, row, message}]")
    gaps = models.JSONField(
        default=dict,
        blank=True,
        help_text="{kind: [what]}: what the data lacks or was filled in (importer.GAPS).",
    )
    message = models.TextField(blank=True, help_text="Why the run failed, when it did.")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "AIID import run"

    def __str__(self) -> str:
        return f"AIID import {self.started_at:%Y-%m-%d %H:%M} ({self.status})"
