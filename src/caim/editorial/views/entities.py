"""Entities and AI systems for editors: search as you type, create one without leaving the record, merge a
duplicate into another (its address redirects for good)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _

from caim.editorial.permissions import ANY_STAFF, ENTITY_KEEPERS, WRITERS, staff_view
from caim.records import actions
from caim.records.models import AISystem, AuditEvent, Entity, EntityRedirect

SEARCH_LIMIT = 20


def _search(model, q: str):
    found = model.objects.all()
    if q:
        found = found.filter(Q(name__icontains=q) | Q(name_fr__icontains=q) | Q(slug__icontains=q))
    return found.only("slug", "name").order_by("name")[:SEARCH_LIMIT]


@staff_view(ANY_STAFF)
def search(request, kind: str):
    """Options for a datalist: entities or AI systems whose name or slug holds the words typed."""
    model = Entity if kind == "entities" else AISystem
    # htmx sends the typed input under the field's own name ("entities-0-entity"): take the first value.
    q = (request.GET.get("q") or next((v for v in request.GET.values() if v), "")).strip()[:100]
    return render(request, "editorial/_options.html", {"options": _search(model, q)})


def _back(request, fallback: str):
    """Back to the page the form was on: a path of this site only. (`redirect` would take any other word for the
    name of a view, "2024-01-01T25:61" for a namespace, and answer 500.)"""
    target = request.POST.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect(fallback)


@staff_view(ENTITY_KEEPERS + WRITERS, methods=("POST",))
def create(request, kind: str):
    """A new entity (or AI system) from the record editor; htmx gets the new option, a form post goes back."""
    name = (request.POST.get("name") or "").strip()
    name_fr = (request.POST.get("name_fr") or "").strip()  # its official French name, if it has one
    slug = slugify(request.POST.get("slug") or name)[:200]
    try:
        if not name or not slug:
            raise actions.ActionRefused(_("Give the new entity a name."))
        if kind == "entities":
            if (
                Entity.objects.filter(slug=slug).exists()
                or EntityRedirect.objects.filter(old_slug=slug).exists()
            ):
                raise actions.ActionRefused(_("The address “%(slug)s” is taken.") % {"slug": slug})
            created = actions.create_entity(actor=request.user, slug=slug, name=name, name_fr=name_fr,
                                            kind=request.POST.get("entity_kind") or "other")  # fmt: skip
        else:
            if AISystem.objects.filter(slug=slug).exists():
                raise actions.ActionRefused(_("The address “%(slug)s” is taken.") % {"slug": slug})
            created = actions.create_system(actor=request.user, slug=slug, name=name, name_fr=name_fr,
                                            system_type=request.POST.get("system_type") or "other")  # fmt: skip
    except (actions.ActionRefused, ValueError) as exc:
        if request.htmx:  # htmx swaps only successful answers: the refusal is the fragment's content
            return render(request, "editorial/_created.html", {"error": str(exc)})
        messages.error(request, str(exc))
        return _back(request, "staff:dashboard")
    if request.htmx:
        return render(request, "editorial/_created.html", {"created": created, "kind": kind})
    messages.success(
        request, _("“%(name)s” created: its address is %(slug)s.") % {"name": name, "slug": slug}
    )
    return _back(request, "staff:dashboard")


@staff_view(ANY_STAFF)
def entities(request):
    q = (request.GET.get("q") or "").strip()[:100]
    found = _search(Entity, q) if q else Entity.objects.only("slug", "name").order_by("-pk")[:SEARCH_LIMIT]
    return render(request, "editorial/entities.html", {"q": q, "entities": found})


@staff_view(ANY_STAFF)
def entity(request, pk: int):
    found = get_object_or_404(Entity, pk=pk)
    old_ids = list(EntityRedirect.objects.filter(entity=found).values_list("old_id", flat=True))
    events = (
        AuditEvent.objects.filter(subject_type="entity", subject_id__in=[found.pk, *old_ids])
        .select_related("actor")
        .order_by("-at", "-id")
    )
    return render(request, "editorial/entity.html", {"entity": found, "events": events,
                  "records": found.record_links.select_related("record").only("roles", "record__slug",
                  "record__title_en", "record__status")[:200]})  # fmt: skip


@staff_view(ENTITY_KEEPERS, methods=("GET", "HEAD", "POST"))
def merge_entity(request, pk: int):
    loser = get_object_or_404(Entity, pk=pk)
    if request.method == "POST":
        into = (request.POST.get("into") or "").strip()
        survivor = Entity.objects.filter(slug=into).first()
        if survivor is None:
            messages.error(request, _("No entity has the address “%(slug)s”.") % {"slug": into})
            return redirect("staff:merge_entity", loser.pk)
        try:
            actions.merge_entities(loser, survivor, actor=request.user)
        except actions.ActionRefused as exc:
            messages.error(request, str(exc))
            return redirect("staff:merge_entity", loser.pk)
        messages.success(
            request, _("Merged: %(old)s now leads to %(new)s.") % {"old": loser.slug, "new": survivor.slug}
        )
        return redirect("staff:entity", survivor.pk)
    return render(request, "editorial/merge_entity.html", {"entity": loser})
