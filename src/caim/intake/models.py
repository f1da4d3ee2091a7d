"""Leads (SPEC §3.1 stage 1): what reaches the monitor before it is a record, and what screening made of it.

A lead's contact details (the submitter's email, the hash of their address) are staff-only and deleted after the
retention period (`caim purge-contacts`); the status token is stored hashed, so that the database alone gives no
one the status links.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _


class Origin(models.TextChoices):
    SUBMISSION = "submission", _("Public submission")
    CORRECTION = "correction", _("Correction request")
    FEED = "feed", _("Monitored feed")
    MANUAL = "manual", _("Manual entry")
    IMPORT = "import", _("Import")


class LeadStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    SCREENING = "screening", _("In screening")
    PUBLISHED = "published", _("Published")
    ATTACHED = "attached", _("Attached to a record")
    DECLINED = "declined", _("Declined")


OPEN_STATUSES = (LeadStatus.RECEIVED, LeadStatus.SCREENING)
CLOSED_STATUSES = (LeadStatus.PUBLISHED, LeadStatus.ATTACHED, LeadStatus.DECLINED)


class DeclineReason(models.TextChoices):
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
    DUPLICATE = "duplicate", _("Duplicate of a report we already hold")
    NO_NEXUS = "no_nexus", _("No Canada nexus")
    SPAM = "spam", _("Spam")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Lead(models.Model):
    origin = models.CharField(max_length=12, choices=Origin.choices)
    status = models.CharField(max_length=12, choices=LeadStatus.choices, default=LeadStatus.RECEIVED)
    raw_text = models.TextField(blank=True)  # what happened (or what is wrong, for a correction)
    urls = models.JSONField(default=list, blank=True)
    occurred = models.CharField(max_length=200, blank=True)  # "when", as the submitter said it
    place = models.CharField(max_length=200, blank=True)  # "where"
    language = models.CharField(max_length=5, default="en")  # the submitter's: their status emails are in it
    email = models.EmailField(blank=True)  # staff-only; deleted after the retention period
    consent = models.BooleanField(default=False)
    # The status link's token is an HMAC of this nonce under the secret key (actions.status_token): the database
    # alone gives no one a status link, and the status emails can still carry it. Looked up by its sha256.
    token_nonce = models.CharField(max_length=43, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # Same links and text from the same address: a resubmission (actions.submit_lead), not a new lead.
    fingerprint = models.CharField(max_length=64, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)  # keyed hash of the address; never the address
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    decline_note = models.TextField(blank=True)
    # The record the lead became, was attached to, or (a correction) is about.
    record = models.ForeignKey(
        "records.Record", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    awaiting_publication = models.BooleanField(default=False)  # a draft was made from it: published with it
    extracted = models.JSONField(
        default=dict, blank=True
    )  # article, scores, candidates (fetching and dedupe)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="lead_status"),
            models.Index(fields=["origin", "created_at"], name="lead_origin"),
            models.Index(fields=["created_at"], name="lead_created"),
            models.Index(fields=["closed_at"], name="lead_closed"),
            models.Index(fields=["ip_hash", "fingerprint", "created_at"], name="lead_resubmission"),
        ]

    def __str__(self) -> str:
        return f"Lead {self.pk} ({self.origin}, {self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


# -- monitored sources (SPEC §6.2) -------------------------------------------------------------------------------


class SourceKind(models.TextChoices):
    FEED = "feed", _("RSS or Atom feed")
    KEYWORDS = "keywords", _("Keyword watch")


class MonitoredSource(models.Model):
    """A feed the poller reads (`caim poll`). A keyword watch is a feed too (a news search's RSS address, built
    from its search template and the words), whose items are kept only when their title or summary contains one
    of `keywords`; a plain feed may have keywords as well, to narrow a broad section."""

    kind = models.CharField(max_length=10, choices=SourceKind.choices, default=SourceKind.FEED)
    name = models.CharField(max_length=200)
    url = models.URLField(max_length=2000)
    language = models.CharField(max_length=5, default="en", choices=[("en", "English"), ("fr", "Français")])
    keywords = models.TextField(
        blank=True
    )  # one per line, EN or FR; an item must contain one (accents ignored)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)  # the last run's failures, one per line; "" when it went well
    last_counts = models.JSONField(default=dict, blank=True)  # the last run's summary (new, seen, below...)
    items_total = models.PositiveIntegerField(default=0)  # new items met, over all runs
    leads_total = models.PositiveIntegerField(default=0)
    failures_total = models.PositiveIntegerField(default=0)
    # The schedule (`caim poll --enqueue`): a source is due when `next_poll_at` is empty or past; enqueuing it
    # moves `next_poll_at` one interval on in the same statement, so a due source is enqueued once.
    poll_minutes = models.PositiveIntegerField(default=60)
    next_poll_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def keyword_list(self) -> list[str]:
        return [line.strip() for line in self.keywords.splitlines() if line.strip()]


class SeenOutcome(models.TextChoices):
    LEAD = "lead", _("Became a lead")
    BELOW = "below", _("Below the relevance threshold")
    KNOWN = "known", _("Already held (a lead or a record's source)")
    FILTERED = "filtered", _("Without the watched keywords")


class SeenItem(models.Model):
    """One canonical URL the poller has dealt with, so that the next run skips it. Keyed by the sha256 of the
    canonical URL: a unique index on a 2,000-character column is too wide for some databases."""

    url_hash = models.CharField(max_length=64, unique=True)
    canonical_url = models.TextField()
    source = models.ForeignKey(
        MonitoredSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=10, choices=SeenOutcome.choices)
    score = models.FloatField(null=True, blank=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.outcome}: {self.canonical_url}"


class PendingArticle(models.Model):
    """An article of a feed that is on its way to a lead: queued for a worker, or failed and waiting for its next
    try. It is not a SeenItem until a lead (or a "below the threshold") is made, so that no article is lost to a
    failure or a killed worker; it leaves this table in the transaction that marks it seen.

    `next_attempt_at` is when a poll may take it (again): after a failure, the backoff (CAIM_POLL_RETRY_HOURS);
    when it is queued, a lease as long as a task may take, so that a task lost with its worker is queued again by
    a later poll. After the last delay it is given up: `gave_up_at`, with `last_error` shown on the source."""

    url_hash = models.CharField(max_length=64, unique=True)
    canonical_url = models.TextField()
    url = models.TextField()
    source = models.ForeignKey(MonitoredSource, on_delete=models.CASCADE, related_name="pending_articles")
    item = models.JSONField(
        default=dict
    )  # the feed item (title, summary, published, language): enough to retry
    attempts = models.PositiveIntegerField(default=0)  # failed attempts
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField()
    gave_up_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["source", "gave_up_at"], name="pending_source")]

    def __str__(self) -> str:
        return f"pending ({self.attempts} failed): {self.canonical_url}"


def url_key(canonical: str) -> str:
    return hashlib.sha256(canonical.encode()).hexdigest()


# -- deduplication's index (SPEC §6.3) ----------------------------------------------------------------------------


class IndexedText(models.Model):
    """A text that new leads are compared with, and its vector: a field of a published record (titles, summaries,
    the titles of its sources, its entities), of a lead (title, text), or of an AIID incident (title,
    description, entities, each report's title). Written by `caim.intake.embedding`; each process keeps them in
    a `TextIndex`. Rows are only inserted and deleted (a changed text is a new row), so a process catches up by
    reading the ids above the last it read."""

    target = models.CharField(max_length=10)  # what a candidate names: "record", "lead" or "aiid"
    target_id = models.PositiveBigIntegerField()  # a record's or a lead's id; an AIID incident's number
    field = models.CharField(max_length=20)  # "title_en", "summary_fr", "source", "report", "entities", ...
    item = models.PositiveIntegerField(
        default=0
    )  # which source of the record; which AIID report (its number)
    text = models.TextField()
    lang = models.CharField(max_length=5, default="en")
    # When the text arrived, as a number: POSIX seconds for leads and records, the report number for AIID
    # reports (AIID's order of arrival), 0 for a text with no arrival of its own (an AIID incident's title).
    order = models.FloatField(default=0)
    # The day the target is about, as a proleptic ordinal (`date.toordinal()`), on each of its rows: a record's
    # event date, a lead's article date, an AIID incident's date; 0 when unknown. Ranking prefers targets whose
    # day is near a dated query's (`caim.intake.ranker`).
    day = models.PositiveIntegerField(default=0)
    model_id = models.CharField(max_length=60)
    vector = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model_id", "target", "target_id", "field", "item"], name="indexedtext_unique"
            )
        ]
        indexes = [
            models.Index(fields=["target", "target_id"], name="indexedtext_target"),
            # the newest row of a model in one index step: what a process's index checks before each query
            models.Index(fields=["model_id", "id"], name="indexedtext_model_id"),
        ]

    def __str__(self) -> str:
        return f"{self.field} of {self.target} {self.target_id} ({self.model_id})"


class IndexedTextDeletions(models.Model):
    """How many deletions of `IndexedText` rows there have been (one row). A process's index reads the list of
    row ids again only when this changed, instead of counting the rows before every query (`embedding.KeptIndex`).
    Deletions go through `caim.intake.embedding`, which counts them."""

    count = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.count} deletions"
