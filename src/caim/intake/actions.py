"""The only code that writes leads (SPEC §3.1 stages 1–2, §6.1). Each action checks the role (a public
submission needs none), runs in one transaction, writes an audit event (records' mechanism, subject "lead") and
tells the submitter when the status of their lead changed, once the transaction is committed.

Actions: submit_lead, start_screening, decline_lead, draft_from_lead, attach_lead, attach_as_incident,
mark_published, purge_contacts; the poller's feed_lead, mark_seen, lease_article, article_failed and
record_article; monitored sources: create_source, update_source, set_source_active, record_poll, claim_due_sources.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Concat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import salted_hmac

from caim import background
from caim.intake import dedup, embedding
from caim.intake.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    DeclineReason,
    Lead,
    LeadStatus,
    MonitoredSource,
    Origin,
    PendingArticle,
    SeenItem,
    SeenOutcome,
    SourceKind,
    hash_token,
    url_key,
)
from caim.records import actions as record_actions
from caim.records import roles
from caim.records.actions import ActionRefused, audit
from caim.records.clock import Clock, get_clock
from caim.records.models import PublicRecord, Record, RecordType, Status
from caim.records.versions import build_document, load_record

log = logging.getLogger(__name__)

RESUBMISSION_WINDOW = timedelta(hours=1)
SCREENERS = (roles.EDITOR,)  # screening is the editors' stage (SPEC §3.1)


# -- tokens and fingerprints -----------------------------------------------------------------------------------


def status_token(lead: Lead) -> str:
    """The lead's status token: an HMAC of its nonce under the secret key (never stored itself)."""
    digest = salted_hmac("caim.intake.status", lead.token_nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def find_by_token(token: str) -> Lead | None:
    if not token or len(token) > 100:
        return None
    return Lead.objects.select_related("record").filter(token_hash=hash_token(token)).first()


def hash_address(address: str) -> str:
    """A keyed hash of a client address: enough to count and to spot repeats, useless without the pepper."""
    if not address:
        return ""
    pepper = settings.CAIM_IP_PEPPER or None
    return salted_hmac("caim.intake.address", address, secret=pepper, algorithm="sha256").hexdigest()


def fingerprint(urls: list[str], text: str) -> str:
    normalised = "\n".join(sorted(u.strip() for u in urls)) + "\x1f" + " ".join(text.split()).casefold()
    return hashlib.sha256(normalised.encode()).hexdigest()


# -- the submitter's view of a lead ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicStatus:
    """What the submitter may know: the status, the reason of a decline, the public record it led to."""

    status: str
    label: str
    reason: str
    record_title: str
    record_url: str


def public_status(lead: Lead, lang: str) -> PublicStatus:
    """In `lang` (the caller activates it for labels)."""
    public = None
    if lead.record_id and lead.status in (LeadStatus.PUBLISHED, LeadStatus.ATTACHED):
        public = PublicRecord.objects.listed().filter(pk=lead.record_id).first()
    status = lead.status
    if status == LeadStatus.PUBLISHED and public is None:  # withdrawn since: say no more than "screened"
        status = LeadStatus.SCREENING
    reason = DeclineReason(lead.decline_reason).label if lead.decline_reason else ""
    return PublicStatus(
        status=status,
        label=str(LeadStatus(status).label),
        reason=str(reason),
        record_title=public.title(lang) if public else "",
        record_url=public.url(lang) if public else "",
    )


# -- notifications ---------------------------------------------------------------------------------------------


def status_url(lead: Lead, lang: str) -> str:
    with translation.override(lang):
        return settings.CAIM_SITE_URL + reverse("intake:status", args=[status_token(lead)])


def notify(lead: Lead) -> None:
    """Email the submitter the lead's status, in their language, once the transaction commits (when they gave an
    address). A failing mail server loses the email, never the lead."""
    if not lead.email:
        return
    lead_id = lead.pk

    def send():
        fresh = Lead.objects.select_related("record").filter(pk=lead_id).first()
        if fresh is None or not fresh.email:
            return
        lang = fresh.language if fresh.language in ("en", "fr") else "en"
        with translation.override(lang):
            site_name = settings.CAIM_SITE_NAME_FR if lang == "fr" else settings.CAIM_SITE_NAME
            context = {"status": public_status(fresh, lang), "url": status_url(fresh, lang), "lead": fresh,
                       "site_name": site_name, "site_url": settings.CAIM_SITE_URL}  # fmt: skip
            subject = render_to_string("intake/status_email_subject.txt", context).strip()
            body = render_to_string("intake/status_email.txt", context)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [fresh.email])
        except Exception:  # noqa: BLE001  (the lead is stored; the email is a courtesy)
            log.exception("status email for lead %s not sent", lead_id)

    transaction.on_commit(send)


# -- public submissions ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    lead: Lead
    token: str
    repeated: bool  # the same submission was already stored: nothing new was written


def submit_lead(
    *,
    origin: str,
    raw_text: str,
    urls: list[str],
    occurred: str = "",
    place: str = "",
    email: str = "",
    consent: bool,
    language: str,
    address_hash: str,
    record: Record | None = None,
    clock: Clock | None = None,
) -> Submitted:
    """Store a submission or a correction request (no role needed: the public sends them). The same links and
    text sent again from the same address within the hour give back the first lead and its status link."""
    if origin not in (Origin.SUBMISSION, Origin.CORRECTION):
        raise ActionRefused("The public sends submissions and correction requests only.")
    if not consent:
        raise ActionRefused("A submission needs the submitter's consent.")
    now = (clock or get_clock()).now()
    print_ = fingerprint(urls, raw_text) if address_hash else ""
    with transaction.atomic():
        if print_:
            earlier = (
                Lead.objects.filter(
                    ip_hash=address_hash,
                    fingerprint=print_,
                    origin=origin,
                    created_at__gte=now - RESUBMISSION_WINDOW,
                    record=record,
                )  # fmt: skip
                .order_by("-created_at")
                .first()
            )
            if earlier is not None:
                return Submitted(earlier, status_token(earlier), repeated=True)
        nonce = secrets.token_urlsafe(32)
        lead = Lead(origin=origin, raw_text=raw_text, urls=list(urls), occurred=occurred, place=place,
                    email=email, consent=True, language=language if language in ("en", "fr") else "en",
                    ip_hash=address_hash, fingerprint=print_, token_nonce=nonce, record=record,
                    created_at=now, updated_at=now)  # fmt: skip
        lead.token_hash = hash_token(status_token(lead))
        lead.save()
        audit("lead", lead.pk, "lead.received", None, now, after={"origin": origin, "status": lead.status})
        if record is not None:
            audit("record", record.pk, "record.correction_requested", None, now, after={"lead": lead.pk},
                  note=raw_text)  # fmt: skip
        else:
            store_candidates(lead, safe=True)
        notify(lead)
    return Submitted(lead, status_token(lead), repeated=False)


# -- duplicate candidates --------------------------------------------------------------------------------------


def store_candidates(lead: Lead, *, safe: bool = False) -> list[dict]:
    """Find the lead's duplicate candidates (caim.intake.dedup) and keep them in `lead.extracted["candidates"]`,
    then index the lead's texts for the leads that come after it. With `safe`, a failure is logged and the lead
    is stored without them (a public submission is never lost for want of candidates), and the `find_candidates`
    task is queued to try again: the matching runs in a savepoint, so a failed query does not spoil the
    transaction."""
    try:
        with transaction.atomic():
            found = [c.as_dict() for c in dedup.find_candidates(dedup.lead_query(lead))]
            embedding.embed_lead(lead)
            lead.extracted = {**(lead.extracted or {}), "candidates": found}
            Lead.objects.filter(pk=lead.pk).update(extracted=lead.extracted)
    except Exception:
        if not safe:
            raise
        log.exception("duplicate candidates of lead %s not computed; queued to try again", lead.pk)
        from caim.intake.tasks import find_candidates

        try:
            with transaction.atomic():
                background.enqueue(find_candidates, lead.pk)
        except Exception:
            log.exception("the candidates task of lead %s was not queued", lead.pk)
        return []
    return found


# -- the poller (caim.intake.poll) ------------------------------------------------------------------------------


def mark_seen(source: MonitoredSource | None, canonical: str, outcome: str, *, score: float | None = None,
              lead: Lead | None = None, clock: Clock | None = None) -> SeenItem:  # fmt: skip
    """The poller will not look at this canonical URL again (a second run creates nothing); an article that was
    pending (queued, or failed earlier) is pending no more."""
    now = (clock or get_clock()).now()
    with transaction.atomic():
        item, _created = SeenItem.objects.get_or_create(
            url_hash=url_key(canonical),
            defaults={
                "canonical_url": canonical,
                "source": source,
                "outcome": outcome,
                "score": score,
                "lead": lead,
                "seen_at": now,
            },  # fmt: skip
        )
        PendingArticle.objects.filter(url_hash=item.url_hash).delete()
    return item


def feed_lead(source: MonitoredSource, *, url: str, canonical: str, title: str, published: str | None,
              text: str, summary: str, language: str, extracted: dict, score: float, reasons: list[str],
              clock: Clock | None = None) -> Lead | None:  # fmt: skip
    """A lead from a monitored source, its audit event, its duplicate candidates and its seen mark, in one
    transaction: a poller killed at any point has either all of it or none of it, and the rerun completes.

    The seen mark is written first, so that two workers taking the same article at once make one lead: the
    second one's insert meets the unique key (on PostgreSQL it waits for the first to commit) and it returns
    None, having written nothing."""
    now = (clock or get_clock()).now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                seen = SeenItem.objects.create(url_hash=url_key(canonical), canonical_url=canonical, source=source,
                                               outcome=SeenOutcome.LEAD, score=score, seen_at=now)  # fmt: skip
        except IntegrityError:
            return None
        lead = Lead.objects.create(
            origin=Origin.FEED, raw_text=summary, urls=[url], language=language if language in ("en", "fr") else "en",
            extracted={**extracted, "title": title, "published": published, "text": text, "source": source.pk,
                       "source_name": source.name, "relevance": {"score": score, "reasons": reasons}},
            created_at=now, updated_at=now,
        )  # fmt: skip
        audit("lead", lead.pk, "lead.received", None, now,
              after={"origin": Origin.FEED, "status": lead.status, "source": source.pk, "score": score})  # fmt: skip
        store_candidates(lead)
        SeenItem.objects.filter(pk=seen.pk).update(lead=lead)
        PendingArticle.objects.filter(url_hash=seen.url_hash).delete()
    return lead


def lease_article(source: MonitoredSource, *, url: str, canonical: str, item: dict, seconds: float,
                  clock: Clock | None = None) -> PendingArticle | None:  # fmt: skip
    """Take an article for a worker: its pending row, not to be taken again for `seconds` (the time a task may
    take; a task lost with its worker is taken again after it). None when it is taken already, waiting for its
    next try, or given up. Operational, like record_poll: no audit event."""
    now = (clock or get_clock()).now()
    with transaction.atomic():
        pending, created = PendingArticle.objects.select_for_update().get_or_create(
            url_hash=url_key(canonical),
            defaults={"canonical_url": canonical, "url": url, "source": source, "item": item,
                      "next_attempt_at": now, "created_at": now, "updated_at": now},
        )  # fmt: skip
        if not created and (pending.gave_up_at or pending.next_attempt_at > now):
            return None
        pending.next_attempt_at, pending.updated_at = now + timedelta(seconds=seconds), now
        pending.save(update_fields=["next_attempt_at", "updated_at"])
    return pending


def article_failed(source: MonitoredSource, *, url: str, canonical: str, item: dict, error: str,
                   clock: Clock | None = None) -> PendingArticle:  # fmt: skip
    """An article page that could not be fetched or read: tried again after the next delay of
    CAIM_POLL_RETRY_HOURS, given up after the last one. Giving up writes an audit event on the source (a
    relevant article may be lost there; the error is on the source's page)."""
    now = (clock or get_clock()).now()
    delays = settings.CAIM_POLL_RETRY_HOURS
    with transaction.atomic():
        pending, _created = PendingArticle.objects.select_for_update().get_or_create(
            url_hash=url_key(canonical),
            defaults={"canonical_url": canonical, "url": url, "source": source, "item": item,
                      "next_attempt_at": now, "created_at": now, "updated_at": now},
        )  # fmt: skip
        pending.attempts += 1
        pending.last_error, pending.updated_at = error, now
        if pending.attempts <= len(delays):
            pending.next_attempt_at = now + timedelta(hours=delays[pending.attempts - 1])
        else:
            pending.gave_up_at = now
            audit("source", source.pk, "source.article_given_up", None, now,
                  after={"url": url, "attempts": pending.attempts}, note=error)  # fmt: skip
        pending.save()
    return pending


def record_article(source: MonitoredSource, *, leads: int = 0, errors: list[str] = ()) -> None:
    """One article's outcome on its source, from a worker: added to the totals and to the last errors (which
    the poll of the feed that queued it started afresh)."""
    changes = {"leads_total": models.F("leads_total") + leads,
               "failures_total": models.F("failures_total") + len(errors)}  # fmt: skip
    if errors:
        joined = "\n".join(errors)
        text = models.TextField()
        changes["last_error"] = models.Case(
            models.When(last_error="", then=models.Value(joined, output_field=text)),
            default=Concat(models.F("last_error"), models.Value("\n" + joined, output_field=text),
                           output_field=text),
            output_field=text,
        )  # fmt: skip
    MonitoredSource.objects.filter(pk=source.pk).update(**changes)


def claim_due_sources(*, clock: Clock | None = None) -> list[MonitoredSource]:
    """The active sources due for a poll, each moved one interval on; a source another scheduler claimed
    meanwhile is not returned (one conditional update each: a due source is enqueued once)."""
    now = (clock or get_clock()).now()
    due = MonitoredSource.objects.filter(active=True).filter(
        models.Q(next_poll_at__isnull=True) | models.Q(next_poll_at__lte=now)
    )
    return [source for source in due if claim_source(source, now)]


def claim_source(source: MonitoredSource, now: datetime) -> bool:
    """Move `source` one interval on if its next poll is still the one read (False: claimed meanwhile)."""
    return bool(
        MonitoredSource.objects.filter(pk=source.pk, next_poll_at=source.next_poll_at).update(
            next_poll_at=now + timedelta(minutes=source.poll_minutes)
        )
    )


def record_poll(
    source: MonitoredSource, *, counts: dict, errors: list[str], clock: Clock | None = None
) -> None:
    """The run's outcome on the source. Operational counters, not an editorial change: no audit event (a poll
    every hour would bury the editors' changes in the source's history)."""
    now = (clock or get_clock()).now()
    MonitoredSource.objects.filter(pk=source.pk).update(
        last_polled_at=now,
        last_error="\n".join(errors),
        last_counts=counts,
        items_total=models.F("items_total") + counts.get("new", 0),
        leads_total=models.F("leads_total") + counts.get("leads", 0),
        failures_total=models.F("failures_total") + len(errors),
    )


# -- monitored sources (editors) --------------------------------------------------------------------------------

SOURCE_FIELDS = ("kind", "name", "url", "language", "keywords", "active", "poll_minutes")
SOURCE_KEEPERS = (roles.EDITOR,)
MIN_POLL_MINUTES, MAX_POLL_MINUTES = 5, 7 * 24 * 60  # sites' patience; a week


def _source_view(source: MonitoredSource) -> dict:
    return {name: getattr(source, name) for name in SOURCE_FIELDS}


def _check_source(data: dict) -> None:
    if data.get("kind") not in SourceKind.values:
        raise ActionRefused("Choose the kind of source: a feed or a keyword watch.")
    if not str(data.get("name") or "").strip() or not str(data.get("url") or "").startswith(
        ("http://", "https://")
    ):
        raise ActionRefused("A source needs a name and an http(s) address.")
    if data.get("kind") == SourceKind.KEYWORDS and not str(data.get("keywords") or "").strip():
        raise ActionRefused("A keyword watch needs at least one keyword.")
    minutes = data.get("poll_minutes", 60)
    if not isinstance(minutes, int) or not MIN_POLL_MINUTES <= minutes <= MAX_POLL_MINUTES:
        raise ActionRefused(f"Poll a source every {MIN_POLL_MINUTES} to {MAX_POLL_MINUTES} minutes.")


def create_source(*, actor, data: dict, clock: Clock | None = None) -> MonitoredSource:
    roles.require_role(actor, *SOURCE_KEEPERS)
    _check_source(data)
    now = (clock or get_clock()).now()
    with transaction.atomic():
        source = MonitoredSource(created_at=now, updated_at=now,
                                 **{k: data[k] for k in SOURCE_FIELDS if k in data})  # fmt: skip
        source.save()
        audit("source", source.pk, "source.created", actor, now, after=_source_view(source))
    return source


def update_source(
    source: MonitoredSource, *, actor, data: dict, clock: Clock | None = None
) -> MonitoredSource:
    roles.require_role(actor, *SOURCE_KEEPERS)
    merged = {**_source_view(source), **{k: data[k] for k in SOURCE_FIELDS if k in data}}
    _check_source(merged)
    now = (clock or get_clock()).now()
    with transaction.atomic():
        source = MonitoredSource.objects.select_for_update().get(pk=source.pk)
        before = _source_view(source)
        for name, value in merged.items():
            setattr(source, name, value)
        source.updated_at = now
        source.save()
        after = _source_view(source)
        changed = [k for k in after if after[k] != before[k]]
        audit("source", source.pk, "source.changed", actor, now, before={k: before[k] for k in changed},
              after={k: after[k] for k in changed})  # fmt: skip
    return source


def set_source_active(
    source: MonitoredSource, *, actor, active: bool, clock: Clock | None = None
) -> MonitoredSource:
    """Deactivate (the poller skips it; its seen items and leads stay) or reactivate a source."""
    return update_source(source, actor=actor, data={"active": active}, clock=clock)


# -- screening -------------------------------------------------------------------------------------------------


def _open_lead(lead: Lead) -> Lead:
    """The lead as it is now, locked for the transaction; refused once it is closed."""
    fresh = Lead.objects.select_for_update().get(pk=lead.pk)
    if fresh.status not in OPEN_STATUSES:
        raise ActionRefused("This lead is closed already.")
    return fresh


def _move(lead: Lead, status: str, actor, now: datetime, verb: str, *, note: str = "", **after) -> Lead:
    before = {"status": lead.status}
    lead.status, lead.updated_at = status, now
    if status in CLOSED_STATUSES:
        lead.closed_at = now
    lead.save()
    audit("lead", lead.pk, verb, actor, now, before=before, after={"status": status, **after}, note=note)
    notify(lead)
    return lead


def start_screening(lead: Lead, *, actor, clock: Clock | None = None) -> Lead:
    roles.require_role(actor, *SCREENERS)
    now = (clock or get_clock()).now()
    with transaction.atomic():
        lead = _open_lead(lead)
        if lead.status == LeadStatus.SCREENING:
            raise ActionRefused("This lead is in screening already.")
        return _move(lead, LeadStatus.SCREENING, actor, now, "lead.screening")


def decline_lead(lead: Lead, *, actor, reason: str, note: str = "", clock: Clock | None = None) -> Lead:
    roles.require_role(actor, *SCREENERS)
    if reason not in DeclineReason.values:
        raise ActionRefused(f"Choose a reason: {', '.join(DeclineReason.values)}.")
    now = (clock or get_clock()).now()
    with transaction.atomic():
        lead = _open_lead(lead)
        lead.decline_reason, lead.decline_note = reason, note.strip()
        return _move(
            lead, LeadStatus.DECLINED, actor, now, "lead.declined", note=lead.decline_note, reason=reason
        )


def draft_from_lead(
    lead: Lead, *, actor, record_type: str, slug: str, title_en: str = "", title_fr: str = "",
    clock: Clock | None = None,
) -> Record:  # fmt: skip
    """A new draft record from the lead; the lead is screened, and published when its record is."""
    roles.require_role(actor, *SCREENERS)
    now = (clock or get_clock()).now()
    data = {k: v for k, v in (("title_en", title_en), ("title_fr", title_fr)) if v}
    with transaction.atomic():
        lead = _open_lead(lead)
        record = record_actions.create_draft(actor=actor, record_type=record_type, slug=slug, data=data,
                                             clock=clock)  # fmt: skip
        audit("record", record.pk, "record.lead_attached", actor, now, after={"lead": lead.pk})
        lead.record, lead.awaiting_publication = record, True
        if lead.status == LeadStatus.SCREENING:
            lead.updated_at = now
            lead.save()
            audit("lead", lead.pk, "lead.drafted", actor, now, after={"record": record.pk})
        else:
            _move(lead, LeadStatus.SCREENING, actor, now, "lead.drafted", record=record.pk)
    return record


def attach_lead(
    lead: Lead, *, actor, record: Record, source: dict | None = None, clock: Clock | None = None
) -> Lead:
    """Attach the lead to an existing record, with (optionally) one of its URLs as a new source of the record's
    working copy (published with the record's next version)."""
    roles.require_role(actor, *SCREENERS)
    if record.status in (Status.WITHDRAWN, Status.MERGED):
        raise ActionRefused("A withdrawn or merged record takes no more leads.")
    now = (clock or get_clock()).now()
    with transaction.atomic():
        lead = _open_lead(lead)
        if source:
            current = Record.objects.get(pk=record.pk)
            sources = build_document(load_record(record.pk), version=0, published_at=now).get("sources", [])
            record_actions.update_record(current, actor=actor, expected_lock_version=current.lock_version,
                                         data={"sources": [*sources, source]}, clock=clock)  # fmt: skip
        audit("record", record.pk, "record.lead_attached", actor, now,
              after={"lead": lead.pk, "source": (source or {}).get("url", "")})  # fmt: skip
        lead.record = record
        return _move(lead, LeadStatus.ATTACHED, actor, now, "lead.attached", record=record.pk)


def attach_as_incident(
    lead: Lead, *, actor, hazard: Record, slug: str, title_en: str = "", clock: Clock | None = None
) -> Record:
    """A new draft incident that materializes `hazard`; the lead is attached to the hazard."""
    roles.require_role(actor, *SCREENERS)
    if hazard.record_type != RecordType.HAZARD:
        raise ActionRefused("An incident materializes a hazard: choose a hazard.")
    now = (clock or get_clock()).now()
    data = {"materialized_from": [hazard.slug], **({"title_en": title_en} if title_en else {})}
    with transaction.atomic():
        lead = _open_lead(lead)
        incident = record_actions.create_draft(actor=actor, record_type=RecordType.INCIDENT, slug=slug,
                                               data=data, clock=clock)  # fmt: skip
        audit("record", incident.pk, "record.lead_attached", actor, now, after={"lead": lead.pk})
        audit("record", hazard.pk, "record.lead_attached", actor, now,
              after={"lead": lead.pk, "incident": incident.pk})  # fmt: skip
        lead.record = hazard
        _move(lead, LeadStatus.ATTACHED, actor, now, "lead.attached", record=hazard.pk, incident=incident.pk)
    return incident


def mark_published(record_ids, *, clock: Clock | None = None) -> int:
    """Leads whose draft was just published are published (called in the publication's transaction)."""
    now = (clock or get_clock()).now()
    count = 0
    for lead in Lead.objects.select_for_update().filter(
        record_id__in=list(record_ids), awaiting_publication=True, status__in=OPEN_STATUSES
    ):
        lead.awaiting_publication = False
        _move(lead, LeadStatus.PUBLISHED, None, now, "lead.published", record=lead.record_id)
        count += 1
    return count


# -- retention -------------------------------------------------------------------------------------------------


def purge_contacts(*, days: int | None = None, clock: Clock | None = None) -> int:
    """Delete the email and the hashed address of leads closed more than `days` ago (SPEC §3.5)."""
    days = settings.CAIM_CONTACT_RETENTION_DAYS if days is None else days
    now = (clock or get_clock()).now()
    with transaction.atomic():
        ids = list(
            Lead.objects.filter(status__in=CLOSED_STATUSES, closed_at__lte=now - timedelta(days=days))
            .exclude(email="", ip_hash="")
            .values_list("pk", flat=True)
        )
        Lead.objects.filter(pk__in=ids).update(email="", ip_hash="", updated_at=now)
        for pk in ids:
            audit("lead", pk, "lead.contacts_purged", None, now)
    return len(ids)
