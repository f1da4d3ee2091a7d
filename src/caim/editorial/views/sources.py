"""Monitored sources in the editorial area (SPEC §6.2): the list with how each source's last poll went and the
state of the background queue, a form to add or change one (with the articles of it that failed, waiting for
their next try or given up), and a button to deactivate or reactivate it. Writes go through caim.intake.actions."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caim import background
from caim.editorial.permissions import SOURCE_KEEPERS, SOURCE_READERS, can, staff_view
from caim.intake import actions
from caim.intake.models import MonitoredSource, PendingArticle, SourceKind
from caim.records.actions import ActionRefused


class SourceForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=SourceKind.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    url = forms.URLField(label=gettext_lazy("Feed address"), max_length=2000, assume_scheme="https")
    language = forms.ChoiceField(
        label=gettext_lazy("Language"), choices=[("en", "English"), ("fr", "Français")]
    )
    keywords = forms.CharField(
        label=gettext_lazy("Keywords (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("An item is kept only when its title or summary contains one of them."),
    )
    active = forms.BooleanField(label=gettext_lazy("Active (polled)"), required=False, initial=True)
    poll_minutes = forms.IntegerField(
        label=gettext_lazy("Poll every (minutes)"),
        min_value=actions.MIN_POLL_MINUTES,
        max_value=actions.MAX_POLL_MINUTES,
        initial=60,
        required=False,
        help_text=gettext_lazy("How often the background schedule (caim poll --enqueue) reads this feed."),
    )

    def clean_poll_minutes(self) -> int:
        return self.cleaned_data.get("poll_minutes") or 60


@staff_view(SOURCE_READERS)
def source_list(request):
    sources = MonitoredSource.objects.order_by("name", "id").annotate(
        retrying=Count("pending_articles", filter=Q(pending_articles__attempts__gt=0,
                                                    pending_articles__gave_up_at__isnull=True)),
        given_up=Count("pending_articles", filter=Q(pending_articles__gave_up_at__isnull=False)),
    )  # fmt: skip
    return render(
        request,
        "editorial/sources.html",
        {
            "sources": sources,
            "can_keep": can(request.user, *SOURCE_KEEPERS),
            "queue": background.queue_state(),
        },
    )


def _form_page(request, form, source=None, status=200):
    failed = PendingArticle.objects.filter(source=source, attempts__gt=0) if source else []
    return render(request, "editorial/source_form.html", {"form": form, "source": source, "failed": failed},
                  status=status)  # fmt: skip


def _save(request, source: MonitoredSource | None):
    form = SourceForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, source, status=400)
    try:
        if source is None:
            source = actions.create_source(actor=request.user, data=form.cleaned_data)
        else:
            source = actions.update_source(source, actor=request.user, data=form.cleaned_data)
    except ActionRefused as refused:
        form.add_error(None, str(refused))
        return _form_page(request, form, source, status=400)
    messages.success(request, _("The source is saved."))
    return redirect("staff:sources")


@staff_view(SOURCE_KEEPERS, methods=("GET", "HEAD", "POST"))
def source_new(request):
    if request.method == "POST":
        return _save(request, None)
    return _form_page(request, SourceForm())


@staff_view(SOURCE_KEEPERS, methods=("GET", "HEAD", "POST"))
def source_edit(request, pk: int):
    source = get_object_or_404(MonitoredSource, pk=pk)
    if request.method == "POST":
        return _save(request, source)
    initial = {name: getattr(source, name) for name in actions.SOURCE_FIELDS}
    return _form_page(request, SourceForm(initial=initial), source)


@staff_view(SOURCE_KEEPERS, methods=("POST",))
def source_active(request, pk: int):
    source = get_object_or_404(MonitoredSource, pk=pk)
    active = request.POST.get("active") == "1"
    actions.set_source_active(source, actor=request.user, active=active)
    messages.success(request, _("The source is active again.") if active else _("The source is deactivated."))
    return redirect("staff:sources")
