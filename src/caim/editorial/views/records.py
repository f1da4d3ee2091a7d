"""A record's page in the editorial area: where it stands, its lint, its timeline, and the buttons of the
pipeline (stages, assignment, comments, review, publication, withdrawal, revert, merge). Each POST calls one
action; what the action refuses comes back as a message, and nothing is written."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caim.editorial.permissions import ANY_STAFF, REVIEWERS, WRITERS, can, staff_view
from caim.editorial.views.dashboard import staff_members
from caim.params import parse_int
from caim.records import actions
from caim.records.diff import diff_documents, diff_values
from caim.records.lint import ERROR
from caim.records.models import (
    DRAFT_STATUSES,
    AuditEvent,
    PublicRecord,
    Record,
    RecordVersion,
    Status,
    VersionKind,
)
from caim.records.roles import REVIEWER
from caim.records.versions import build_document, load_record

VERBS = {
    "record.created": gettext_lazy("created the draft"),
    "record.updated": gettext_lazy("edited"),
    "record.status_changed": gettext_lazy("moved the record"),
    "record.assigned": gettext_lazy("assigned the record"),
    "record.commented": gettext_lazy("commented"),
    "record.returned": gettext_lazy("returned the record for changes"),
    "record.published": gettext_lazy("published"),
    "record.withdrawn": gettext_lazy("withdrew the record"),
    "record.reverted": gettext_lazy("restored an earlier version"),
    "record.merged_from": gettext_lazy("merged another record into this one"),
    "record.merged_into": gettext_lazy("merged this record into another"),
    "record.correction_requested": gettext_lazy("received a correction request from a reader"),
    "record.lead_attached": gettext_lazy("attached a lead"),
}
TIMELINE_LIMIT = 200


def get_record(pk: int) -> Record:
    return get_object_or_404(Record.objects.select_related("assignee", "current_version"), pk=pk)


def timeline(record: Record) -> list[dict]:
    """Every event of the record, newest first: who, when, what, and the values before and after."""
    events = (
        AuditEvent.objects.filter(subject_type="record", subject_id=record.pk)
        .select_related("actor")
        .order_by("-at", "-id")[:TIMELINE_LIMIT]
    )
    return [
        {
            "event": e,
            "verb": VERBS.get(e.verb, e.verb),
            "changes": diff_values(e.before, e.after) if e.verb not in ("record.created",) else [],
            "created": sorted(k for k, v in e.after.items() if v not in (None, "", [], {}))
            if e.verb == "record.created"
            else [],
        }
        for e in events
    ]


def working_document(record: Record) -> dict:
    number = (record.current_version.number if record.current_version_id else 0) + 1
    return build_document(load_record(record.pk), version=number, published_at=record.updated_at)


@staff_view(ANY_STAFF)
def record(request, pk: int):
    rec = get_record(pk)
    issues = actions.check_record(rec)
    authors = actions.unpublished_authors([rec.pk])[rec.pk]
    public = PublicRecord.objects.filter(pk=rec.pk).first()
    pending = bool(authors) if public else True
    user = request.user
    may_publish = (
        can(user, REVIEWER)
        and rec.status in (Status.REVIEW, Status.PUBLISHED)
        and user.pk not in authors
        and pending
    )
    return render(
        request,
        "editorial/record.html",
        {
            "record": rec,
            "public": public,
            "issues": issues,
            "error_count": sum(1 for i in issues if i.level == ERROR),
            "versions": RecordVersion.objects.filter(record=rec)
            .select_related("published_by")
            .only("number", "kind", "published_at", "changelog_en", "changelog_fr", "published_by__username")
            .order_by("-number"),
            "timeline": timeline(rec),
            "stages": [(s, Status(s).label) for s in DRAFT_STATUSES],
            "is_draft": rec.status in DRAFT_STATUSES,
            "can_write": can(user, *WRITERS) and rec.status not in (Status.WITHDRAWN, Status.MERGED),
            "can_review": can(user, REVIEWER),
            "may_publish": may_publish,
            "authored": user.pk in authors,
            "pending_changes": pending and public is not None,
            "merges": AuditEvent.objects.filter(
                subject_type="record", subject_id=rec.pk, verb="record.merged_from"
            )
            .order_by("-id")
            .first(),
            "staff": staff_members(),
            "kinds": [
                (VersionKind.PUBLICATION, VersionKind.PUBLICATION.label),
                (VersionKind.CORRECTION, VersionKind.CORRECTION.label),
            ],  # fmt: skip
        },
    )


def _refused(request, rec: Record, exc: Exception):
    issues = getattr(exc, "issues", [])
    messages.error(
        request, str(exc) + "".join(f" — {i.field}: {i.message}" for i in issues if i.level == ERROR)
    )
    return redirect("staff:record", rec.pk)


@staff_view(WRITERS, methods=("POST",))
def move(request, pk: int):
    rec = get_record(pk)
    status = request.POST.get("status") or ""
    try:
        actions.set_status(rec, actor=request.user, status=status)
    except actions.ActionRefused as exc:
        return _refused(request, rec, exc)
    messages.success(request, _("The record is now in “%(stage)s”.") % {"stage": Status(status).label})
    return redirect("staff:record", rec.pk)


@staff_view(WRITERS, methods=("POST",))
def assign(request, pk: int):
    rec = get_record(pk)
    username = request.POST.get("assignee") or ""
    assignee = staff_members().filter(username=username).first() if username else None
    if username and assignee is None:
        messages.error(request, _("No staff member is called “%(name)s”.") % {"name": username})
        return redirect("staff:record", rec.pk)
    try:
        actions.assign_record(rec, actor=request.user, assignee=assignee)
    except actions.ActionRefused as exc:
        return _refused(request, rec, exc)
    return redirect("staff:record", rec.pk)


@staff_view(ANY_STAFF, methods=("POST",))
def comment(request, pk: int):
    rec = get_record(pk)
    try:
        actions.comment_record(rec, actor=request.user, text=request.POST.get("text") or "")
    except actions.ActionRefused as exc:
        return _refused(request, rec, exc)
    return redirect("staff:record", rec.pk)


@staff_view(REVIEWERS, methods=("POST",))
def return_for_changes(request, pk: int):
    rec = get_record(pk)
    try:
        actions.return_record(rec, actor=request.user, comment=request.POST.get("comment") or "")
    except actions.ActionRefused as exc:
        return _refused(request, rec, exc)
    messages.success(request, _("The record is back in assessment, with your comments."))
    return redirect("staff:record", rec.pk)


@staff_view(REVIEWERS, methods=("POST",))
def publish(request, pk: int):
    rec = get_record(pk)
    kind = request.POST.get("kind") or VersionKind.PUBLICATION
    if kind not in (VersionKind.PUBLICATION, VersionKind.CORRECTION):
        kind = VersionKind.PUBLICATION
    try:  # a PermissionDenied (the reviewer changed the record) becomes a 403 and writes nothing
        version = actions.publish_record(
            rec,
            actor=request.user,
            changelog_en=request.POST.get("changelog_en") or "",
            changelog_fr=request.POST.get("changelog_fr") or "",
            kind=kind,
        )
    except actions.PublishRefused as exc:
        return _refused(request, rec, exc)
    messages.success(request, _("Version %(n)s is published.") % {"n": version.number})
    return redirect("staff:record", rec.pk)


@staff_view(REVIEWERS, methods=("POST",))
def withdraw(request, pk: int):
    rec = get_record(pk)
    try:
        actions.withdraw_record(
            rec,
            actor=request.user,
            reason_en=request.POST.get("reason_en") or "",
            reason_fr=request.POST.get("reason_fr") or "",
        )
    except actions.ActionRefused as exc:
        return _refused(request, rec, exc)
    messages.success(request, _("The record is withdrawn; its page stays, with the reason."))
    return redirect("staff:record", rec.pk)


@staff_view(REVIEWERS, methods=("POST",))
def revert(request, pk: int):
    rec = get_record(pk)
    number = parse_int(request.POST.get("version"), low=1)
    try:
        version = actions.revert_record(rec, actor=request.user, to_version=number or 0)
    except (actions.ActionRefused, actions.PublishRefused) as exc:
        return _refused(request, rec, exc)
    messages.success(
        request, _("Version %(n)s restores version %(old)s.") % {"n": version.number, "old": number}
    )
    return redirect("staff:record", rec.pk)


@staff_view(REVIEWERS, methods=("GET", "HEAD", "POST"))
def merge(request, pk: int):
    """Merge this record (a duplicate) into another of the same type, chosen by id or slug."""
    rec = get_record(pk)
    if request.method == "POST":
        ident = (request.POST.get("into") or "").strip()
        number = parse_int(ident, low=1)
        survivor = Record.objects.filter(Q(pk=number) if number else Q(slug=ident)).first() if ident else None
        if survivor is None:
            messages.error(request, _("No record is numbered or named “%(ident)s”.") % {"ident": ident})
            return redirect("staff:merge", rec.pk)
        try:
            actions.merge_records(rec, survivor, actor=request.user)
        except actions.ActionRefused as exc:
            messages.error(request, str(exc))
            return redirect("staff:merge", rec.pk)
        messages.success(request, _("Merged. Review the surviving record's new sources, then publish it."))
        return redirect("staff:record", survivor.pk)
    candidates = Record.objects.filter(record_type=rec.record_type).exclude(pk=rec.pk)
    candidates = candidates.exclude(status__in=(Status.MERGED, Status.WITHDRAWN)).only(
        "id", "slug", "title_en", "status"
    )
    return render(
        request,
        "editorial/merge.html",
        {"record": rec, "candidates": candidates.order_by("-updated_at")[:50]},
    )


@staff_view(ANY_STAFF)
def changes(request, pk: int):
    """What the working copy changes against the published version (or two versions: ?from=&to=)."""
    rec = get_record(pk)
    versions = {v.number: v for v in RecordVersion.objects.filter(record=rec).only("number", "document")}
    first, second = parse_int(request.GET.get("from"), low=1), parse_int(request.GET.get("to"), low=1)
    if first and second:
        if first not in versions or second not in versions:
            raise Http404
        before, after = versions[first].document, versions[second].document
        title = _("Version %(a)s → version %(b)s") % {"a": first, "b": second}
    else:
        current = rec.current_version.document if rec.current_version_id else {"type": rec.record_type}
        before, after = current, working_document(rec)
        title = _("Unpublished changes")
    return render(
        request,
        "editorial/changes.html",
        {
            "record": rec,
            "changes": diff_documents(before, after),
            "title": title,
            "versions": sorted(versions),
        },  # fmt: skip
    )


def require_writer(request, rec: Record) -> None:
    if not can(request.user, *WRITERS):
        raise PermissionDenied
    if rec.status in (Status.WITHDRAWN, Status.MERGED):
        raise PermissionDenied
