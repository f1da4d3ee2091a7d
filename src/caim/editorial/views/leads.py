"""Leads in the editorial area (SPEC §3.1 stages 1–2): the list, a lead's page, and the screening buttons. Each
POST calls one action of caim.intake.actions; what it refuses comes back as a message and nothing is written."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caim.editorial.permissions import ANY_STAFF, CONTACT_READERS, SCREENERS, can, staff_view
from caim.i18n import page_language
from caim.intake import actions
from caim.intake.models import DeclineReason, Lead, LeadStatus, Origin
from caim.params import parse_int
from caim.records.actions import ActionRefused, InvalidRecordData
from caim.records.models import AuditEvent, Record, RecordType
from caim.taxonomy.loader import get_taxonomy

PAGE_SIZE = 50
VERBS = {
    "lead.received": gettext_lazy("received the lead"),
    "lead.screening": gettext_lazy("started screening"),
    "lead.declined": gettext_lazy("declined the lead"),
    "lead.drafted": gettext_lazy("made a draft record from the lead"),
    "lead.attached": gettext_lazy("attached the lead to a record"),
    "lead.published": gettext_lazy("published the lead's record"),
    "lead.contacts_purged": gettext_lazy("deleted the submitter's contact details"),
}


@staff_view(ANY_STAFF)
def lead_list(request):
    """Newest first, filtered by status and origin (both indexed with the creation time)."""
    leads = Lead.objects.select_related("record").only(
        "origin", "status", "raw_text", "urls", "created_at", "record__slug", "record__title_en"
    )
    status = request.GET.get("status") or ""
    origin = request.GET.get("origin") or ""
    if status == "open":
        leads = leads.filter(status__in=(LeadStatus.RECEIVED, LeadStatus.SCREENING))
    elif status in LeadStatus.values:
        leads = leads.filter(status=status)
    if origin in Origin.values:
        leads = leads.filter(origin=origin)
    page = Paginator(leads.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        parse_int(request.GET.get("page"))
    )
    return render(
        request,
        "editorial/leads.html",
        {
            "page": page,
            "status": status,
            "origin": origin,
            "statuses": LeadStatus.choices,
            "origins": Origin.choices,
        },  # fmt: skip
    )


def get_lead(pk: int) -> Lead:
    return get_object_or_404(Lead.objects.select_related("record"), pk=pk)


@staff_view(ANY_STAFF)
def lead(request, pk: int):
    item = get_lead(pk)
    events = (
        AuditEvent.objects.filter(subject_type="lead", subject_id=item.pk)
        .select_related("actor")
        .order_by("-at", "-id")
    )
    taxonomy = get_taxonomy()
    return render(
        request,
        "editorial/lead.html",
        {
            "lead": item,
            "timeline": [{"event": e, "verb": VERBS.get(e.verb, e.verb)} for e in events],
            "show_contact": can(request.user, *CONTACT_READERS),
            "can_screen": can(request.user, *SCREENERS) and item.is_open,
            "reasons": DeclineReason.choices,
            "record_types": RecordType.choices,
            "source_types": [(v.slug, v.label_in(page_language())) for v in taxonomy["source_type"].values],
            "status_label": LeadStatus(item.status).label,
            "origin_label": Origin(item.origin).label,
            "article": item.extracted
            if (item.extracted or {}).get("title") or (item.extracted or {}).get("text")
            else None,
            "relevance": (item.extracted or {}).get("relevance"),
            "candidates": [c for c in (item.extracted or {}).get("candidates", []) if isinstance(c, dict)],
        },
    )


def _done(request, item: Lead, message: str):
    messages.success(request, message)
    return redirect("staff:lead", item.pk)


def _refused(request, item: Lead, exc: Exception):
    errors = getattr(exc, "errors", None)
    messages.error(request, "; ".join(errors) if errors else str(exc))
    return redirect("staff:lead", item.pk)


def _record_by(ident: str) -> Record | None:
    ident = ident.strip()
    number = parse_int(ident, low=1)
    query = Record.objects.filter(pk=number) if number else Record.objects.filter(slug=ident)
    return query.first() if ident else None


@staff_view(SCREENERS, methods=("POST",))
def screen(request, pk: int):
    item = get_lead(pk)
    try:
        actions.start_screening(item, actor=request.user)
    except ActionRefused as exc:
        return _refused(request, item, exc)
    return _done(request, item, _("The lead is in screening; the submitter was told."))


@staff_view(SCREENERS, methods=("POST",))
def decline(request, pk: int):
    item = get_lead(pk)
    try:
        actions.decline_lead(item, actor=request.user, reason=request.POST.get("reason") or "",
                             note=request.POST.get("note") or "")  # fmt: skip
    except ActionRefused as exc:
        return _refused(request, item, exc)
    return _done(request, item, _("The lead is declined; the submitter was told."))


@staff_view(SCREENERS, methods=("POST",))
def draft(request, pk: int):
    item = get_lead(pk)
    try:
        record = actions.draft_from_lead(
            item,
            actor=request.user,
            record_type=request.POST.get("record_type") or "",
            slug=(request.POST.get("slug") or "").strip(),
            title_en=(request.POST.get("title_en") or "").strip(),
            title_fr=(request.POST.get("title_fr") or "").strip(),
        )
    except (ActionRefused, InvalidRecordData) as exc:
        return _refused(request, item, exc)
    messages.success(request, _("A draft was made from the lead; it is published with the record."))
    return redirect("staff:edit", record.pk)


def _named_record(request, field: str):
    """The record the form's `field` names by number or slug; None, with a message saying so, when none is."""
    ident = request.POST.get(field) or ""
    found = _record_by(ident)
    if found is None:
        messages.error(request, _("No record is numbered or named “%(ident)s”.") % {"ident": ident})
    return found


@staff_view(SCREENERS, methods=("POST",))
def attach(request, pk: int):
    """To an existing record; with a URL of the lead and its details, also as a new source of the record."""
    item = get_lead(pk)
    target = _named_record(request, "record")
    if target is None:
        return redirect("staff:lead", item.pk)
    url = (request.POST.get("url") or "").strip()
    source = None
    if url:
        source = {
            "url": url,
            "publisher": request.POST.get("publisher") or "",
            "title": request.POST.get("title") or "",
            "citation_key": request.POST.get("citation_key") or "",
            "source_type": request.POST.get("source_type") or "",
            "date_published": request.POST.get("date_published") or None,
            "language": request.POST.get("language") or "en",
        }
    try:
        actions.attach_lead(item, actor=request.user, record=target, source=source)
    except (ActionRefused, InvalidRecordData) as exc:
        return _refused(request, item, exc)
    return _done(request, item, _("The lead is attached to the record; the submitter was told."))


@staff_view(SCREENERS, methods=("POST",))
def incident(request, pk: int):
    """A new draft incident that materializes a hazard."""
    item = get_lead(pk)
    hazard = _named_record(request, "hazard")
    if hazard is None:
        return redirect("staff:lead", item.pk)
    try:
        made = actions.attach_as_incident(item, actor=request.user, hazard=hazard,
                                          slug=(request.POST.get("slug") or "").strip(),
                                          title_en=(request.POST.get("title_en") or "").strip())  # fmt: skip
    except (ActionRefused, InvalidRecordData) as exc:
        return _refused(request, item, exc)
    messages.success(request, _("A draft incident of the hazard was made from the lead."))
    return redirect("staff:edit", made.pk)
