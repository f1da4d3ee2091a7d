"""The record editor: a new draft, the form of every field (built from the declaration), the live lint panel,
the preview in the public page's own template, and the conflict screen when someone saved first."""

from __future__ import annotations

from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from caim.editorial.duplicates import possible_duplicates
from caim.editorial.forms import Editor
from caim.editorial.permissions import ANY_STAFF, WRITERS, staff_view
from caim.editorial.views.records import get_record, working_document
from caim.i18n import page_language
from caim.params import parse_int
from caim.records import actions
from caim.records.changes import SLUG_RE
from caim.records.diff import diff_documents
from caim.records.lint import ERROR
from caim.records.models import AISystem, Entity, PublicRecord, Record, RecordType, RecordVersion, Status
from caim.records.presenters import RecordPage
from caim.records.versions import build_document, build_staff_document, load_record

DATALIST_SIZE = 100


class _Rollback(Exception):
    """Raised to undo a dry run."""


@staff_view(WRITERS, methods=("GET", "HEAD", "POST"))
def new(request):
    """A new draft: its type, address and title; everything else in the editor."""
    record_type = request.POST.get("type") or request.GET.get("type") or RecordType.INCIDENT
    if record_type not in RecordType.values:
        record_type = RecordType.INCIDENT
    errors, values = [], {"slug": "", "title_en": "", "title_fr": "", "original_language": "en"}
    if request.method == "POST":
        values = {key: (request.POST.get(key) or "").strip() for key in values}
        if not SLUG_RE.match(values["slug"]):
            errors.append(
                _("Choose an address: lowercase letters, digits and hyphens, with at least one letter.")
            )
        if not values["title_en"] and not values["title_fr"]:
            errors.append(_("Give the record a title, in English or in French."))
        if not errors:
            try:
                rec = actions.create_draft(
                    actor=request.user, record_type=record_type, slug=values["slug"],
                    data={k: v for k, v in values.items() if k != "slug"},
                )  # fmt: skip
            except actions.InvalidRecordData as exc:
                errors += exc.errors
            else:
                messages.success(
                    request, _("Draft created. Fill in the record, then move it through the stages.")
                )
                return redirect("staff:edit", rec.pk)
    return render(
        request,
        "editorial/new.html",
        {"record_type": record_type, "values": values, "errors": errors, "types": RecordType.choices},
        status=400 if errors else 200,
    )


def _editor(rec: Record, data=None) -> Editor:
    """The editor's forms over the working copy (read once), with the copy's lint on `editor.issues`."""
    loaded = load_record(rec.pk)
    number = (rec.current_version.number if rec.current_version_id else 0) + 1
    doc, staff = (
        build_document(loaded, version=number, published_at=rec.updated_at),
        build_staff_document(loaded),
    )
    editor = Editor.build(rec.record_type, doc, staff, data=data)
    editor.issues = actions.check_document(doc, staff)
    return editor


def _context(rec: Record, editor: Editor, lock_version: int, **extra) -> dict:
    issues = editor.issues
    return {
        "record": rec,
        "editor": editor,
        "form": editor.form,
        "formsets": editor.formsets,
        "lock_version": lock_version,
        "issues": issues,
        "error_count": sum(1 for i in issues if i.level == ERROR),
        # First suggestions of the address inputs; typing asks the server for more (search as you type).
        "entities": Entity.objects.order_by("-pk").only("slug", "name")[:DATALIST_SIZE],
        "systems": AISystem.objects.order_by("-pk").only("slug", "name")[:DATALIST_SIZE],
        "edit_url": True,
        **extra,
    }


@staff_view(WRITERS, methods=("GET", "HEAD", "POST"))
def edit(request, pk: int):
    rec = get_record(pk)
    if rec.status in (Status.WITHDRAWN, Status.MERGED):
        messages.error(request, _("A withdrawn or merged record cannot be edited."))
        return redirect("staff:record", rec.pk)
    if request.method != "POST":
        return render(request, "editorial/edit.html", _context(rec, _editor(rec), rec.lock_version))
    editor = _editor(rec, data=request.POST)
    lock_version = parse_int(request.POST.get("lock_version"), low=0)
    if lock_version is None or not editor.is_valid():
        return render(request, "editorial/edit.html", _context(rec, editor, rec.lock_version), status=400)
    try:
        actions.update_record(rec, actor=request.user, expected_lock_version=lock_version, data=editor.data())
    except actions.EditConflict as conflict:
        return _conflict(request, rec, editor, conflict)
    except actions.InvalidRecordData as exc:
        left = editor.add_errors(exc.errors)
        return render(request, "editorial/edit.html", _context(rec, editor, lock_version, other_errors=left),
                      status=400)  # fmt: skip
    messages.success(request, _("Saved."))
    return redirect("staff:edit", rec.pk)


def _conflict(request, rec: Record, editor: Editor, conflict: actions.EditConflict):
    """Someone saved since this editor loaded the record: show both sides, field by field (what is saved, and what
    saving this editor's form would make of it), and keep the editor's text in the form, bound to the record as it
    is now, so that saving again is a deliberate choice."""
    rec.refresh_from_db()
    theirs = working_document(rec)
    mine = _dry_run(request, rec, editor.data(), lambda current: working_document(current))
    differences = diff_documents(theirs, mine) if isinstance(mine, dict) else []
    context = _context(
        rec, editor, rec.lock_version, conflict=True, differences=differences, saved_at=rec.updated_at
    )
    return render(request, "editorial/edit.html", context, status=409)


def _dry_run(request, rec: Record, data: dict, then):
    """`then(record)` after applying `data` to the record, inside a transaction that is rolled back: what saving
    would give, without saving. An InvalidRecordData is returned, not raised."""
    result = None
    try:
        with transaction.atomic():
            current = Record.objects.get(pk=rec.pk)
            actions.update_record(
                current, actor=request.user, expected_lock_version=current.lock_version, data=data
            )
            result = then(current)
            raise _Rollback
    except _Rollback:
        return result
    except actions.InvalidRecordData as exc:
        return exc


@staff_view(WRITERS, methods=("POST",))
def lint(request, pk: int):
    """The lint of the record as the form stands, without saving it (htmx panel): the edit is applied inside a
    transaction that is then rolled back."""
    rec = get_record(pk)
    editor = _editor(rec, data=request.POST)
    problems: list[str] = []
    issues = []
    if not editor.is_valid():
        problems = [str(e) for f in [editor.form, *(x for fs in editor.formsets.values() for x in fs.forms)]
                    for errors in f.errors.values() for e in errors]  # fmt: skip
    else:
        outcome = _dry_run(request, rec, editor.data(), actions.check_record)
        if isinstance(outcome, actions.InvalidRecordData):
            problems = outcome.errors
        else:
            issues = outcome
    return render(
        request,
        "editorial/_lint.html",
        {
            "issues": issues,
            "problems": problems,
            "error_count": sum(1 for i in issues if i.level == ERROR) + len(problems),
            "live": True,
            "edit_url": True,
        },  # fmt: skip
    )


@staff_view(WRITERS)
def duplicates(request, pk: int):
    """Records and open leads that look like this one (loaded into the editor by htmx; a page of its own
    without JavaScript): matching them reads many titles, so the editor does not wait for it."""
    rec = get_record(pk)
    context = {"record": rec, "candidates": possible_duplicates(rec)}
    template = "editorial/_duplicates.html" if request.htmx else "editorial/duplicates.html"
    return render(request, template, context)


@staff_view(ANY_STAFF)
def preview(request, pk: int):
    """The working copy in the public page's own template, as it would look once published."""
    rec = get_record(pk)
    doc = working_document(rec)
    lang = page_language()
    changelog = list(RecordVersion.objects.filter(record=rec).only("number", "published_at", "changelog_en",
                                                                     "changelog_fr", "kind").order_by("number"))  # fmt: skip
    if rec.record_type == RecordType.INCIDENT:  # the hazards it would link to, as they are public
        linked = PublicRecord.objects.listed().filter(
            pk__in=[link["id"] for link in doc.get("materialized_from", [])]
        )
    else:
        linked = PublicRecord.objects.listed().filter(materialized_from__pk=rec.pk)
    page = RecordPage(
        doc, lang, changelog=changelog, linked=list(linked), current_number=doc["version"], slug=rec.slug
    )
    stand_in = SimpleNamespace(slug=rec.slug, version_number=doc["version"], withdrawn=False)
    site_name = settings.CAIM_SITE_NAME_FR if lang == "fr" else settings.CAIM_SITE_NAME
    return render(
        request,
        "records/record_detail.html",
        {
            "page": page,
            "public": stand_in,
            "preview": rec,
            "citation": page.citation(site_name, settings.CAIM_SITE_URL),
            "correction_url": "#",
            "canonical_path": request.path,
        },  # fmt: skip
    )
