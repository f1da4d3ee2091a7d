"""The dashboard: a queue per stage with counts and ages, filters, search, and hazards due for re-assessment."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count, Min, Q
from django.shortcuts import render
from django.utils import timezone

from caim.editorial.permissions import staff_view
from caim.params import parse_int
from caim.records.models import DRAFT_STATUSES, Record, RecordType, Status
from caim.records.roles import ROLES

PAGE_SIZE = 50
LIST_COLUMNS = (
    "id",
    "slug",
    "record_type",
    "status",
    "title_en",
    "title_fr",
    "updated_at",
    "assignee__username",
)


def staff_members():
    return (
        get_user_model()
        .objects.filter(groups__name__in=ROLES, is_active=True)
        .distinct()
        .order_by("username")
    )


def reassessment_due():
    """Published hazards whose last assessment is older than CAIM_REASSESS_DAYS (or never recorded)."""
    limit = timezone.localdate() - timedelta(days=settings.CAIM_REASSESS_DAYS)
    return Record.objects.filter(record_type=RecordType.HAZARD, status=Status.PUBLISHED).filter(
        Q(last_assessed__lt=limit) | Q(last_assessed__isnull=True)
    )


@staff_view()
def dashboard(request):
    params = request.GET
    now = timezone.now()
    queues = {
        row["status"]: row
        for row in Record.objects.values("status")
        .annotate(n=Count("pk"), oldest=Min("updated_at"))
        .order_by()
    }
    stages = [
        {
            "slug": status,
            "label": label,
            "count": queues.get(status, {}).get("n", 0),
            "age_days": (now - queues[status]["oldest"]).days if status in queues else None,
            "draft": status in DRAFT_STATUSES,
        }
        for status, label in Status.choices
    ]
    records = Record.objects.select_related("assignee").only(*LIST_COLUMNS)
    stage = params.get("stage") or ""
    if stage in Status.values:
        records = records.filter(status=stage)
    else:
        stage = ""
        records = records.exclude(status=Status.MERGED)
    record_type = params.get("type") or ""
    if record_type in RecordType.values:
        records = records.filter(record_type=record_type)
    assignee = params.get("assignee") or ""
    if params.get("mine"):
        records = records.filter(assignee=request.user)
    elif assignee == "-":
        records = records.filter(assignee__isnull=True)
    elif assignee:
        records = records.filter(assignee__username=assignee)
    q = (params.get("q") or "").strip()[:200]
    if q:
        words = Q(title_en__icontains=q) | Q(title_fr__icontains=q) | Q(slug__icontains=q)
        number = parse_int(q, low=1)
        records = records.filter(words | Q(pk=number) if number else words)
    if params.get("reassess"):
        records = records.filter(pk__in=reassessment_due().values("pk"))
    page = Paginator(records.order_by("-updated_at", "-pk"), PAGE_SIZE).get_page(
        parse_int(params.get("page"), low=1) or 1
    )
    return render(
        request,
        "editorial/dashboard.html",
        {
            "stages": stages,
            "page": page,
            "filters": {
                "stage": stage,
                "type": record_type,
                "assignee": assignee,
                "mine": bool(params.get("mine")),
                "q": q,
                "reassess": bool(params.get("reassess")),
            },  # fmt: skip
            "staff": staff_members(),
            "reassess_count": reassessment_due().count(),
            "types": RecordType.choices,
            "query": params.urlencode(),
        },
    )
