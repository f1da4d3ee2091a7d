"""The editorial area: the pipeline at a glance, and each record's lint, versions and audit trail."""

from __future__ import annotations

from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from caim.editorial.permissions import staff_required
from caim.records.actions import check_record
from caim.records.lint import ERROR
from caim.records.models import AuditEvent, Record, RecordVersion, Status


@require_safe
@staff_required
def dashboard(request):
    records = Record.objects.only("id", "slug", "record_type", "status", "title_en", "title_fr", "updated_at")
    counts = {
        row["status"]: row["n"] for row in Record.objects.values("status").annotate(n=Count("pk")).order_by()
    }
    return render(
        request,
        "editorial/dashboard.html",
        {
            "records": records.order_by("-updated_at")[:200],
            "counts": [(s, label, counts.get(s, 0)) for s, label in Status.choices],
        },
    )


@require_safe
@staff_required
def record(request, pk: int):
    rec = get_object_or_404(Record, pk=pk)
    issues = check_record(rec)
    return render(
        request,
        "editorial/record.html",
        {
            "record": rec,
            "issues": issues,
            "error_count": sum(1 for i in issues if i.level == ERROR),
            "versions": RecordVersion.objects.filter(record=rec)
            .select_related("published_by")
            .only("number", "kind", "published_at", "changelog_en", "changelog_fr", "published_by__username"),
            "events": AuditEvent.objects.filter(subject_type="record", subject_id=rec.pk).select_related(
                "actor"
            ),
        },
    )
