"""The translator's view: every translatable text of a record, English beside French, with each translation's
status (original, human, machine, missing), for the record's own fields and for its harms, sources, entities,
AI systems, responses, recommendations and mitigations."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from caim.editorial.permissions import TRANSLATORS, staff_view
from caim.editorial.views.records import get_record, working_document
from caim.params import parse_int
from caim.records import actions
from caim.records.changes import TRANSLATION_STATUSES
from caim.records.fields import CHILD_LISTS, LANGUAGES, PROSE, fields_of
from caim.records.models import Status

CHOSEN_STATUSES = (
    "human",
    "machine",
)  # what a translator says of a translation ("original" and "missing" follow)


def _rows(rec, doc: dict, posted=None) -> list[dict]:
    """One row per translatable text: input names, labels, values in both languages, and the status."""
    other = "fr" if rec.original_language == "en" else "en"
    rows = []
    for f in fields_of(rec.record_type, public=True):
        if f.bilingual:
            names = {lang: f"{f.name}_{lang}" for lang in LANGUAGES}
            values = {lang: doc.get(f"{f.path}_{lang}") or "" for lang in LANGUAGES}
            if "." in f.path:  # a text inside a document group (the Canada nexus note)
                group, inner = f.path.split(".", 1)
                values = {lang: (doc.get(group) or {}).get(f"{inner}_{lang}") or "" for lang in LANGUAGES}
            status_key = f"{f.name}_{other}"
            rows.append({"label": f.label, "names": names, "values": values, "long": f.kind == PROSE,
                         "status_name": f"status-{status_key}",
                         "status": rec.translation_status.get(status_key, "human")})  # fmt: skip
    for child in CHILD_LISTS:
        for i, item in enumerate(doc.get(child.name, [])):
            for f in child.fields:
                if f.bilingual:
                    names = {lang: f"{child.name}-{i}-{f.name}_{lang}" for lang in LANGUAGES}
                    values = {lang: item.get(f"{f.name}_{lang}") or "" for lang in LANGUAGES}
                    rows.append({"label": f"{child.label} {i + 1}: {f.label}", "names": names, "values": values,
                                 "long": f.kind == PROSE, "status_name": None})  # fmt: skip
    if posted is not None:
        for row in rows:
            row["values"] = {lang: posted.get(name, "") for lang, name in row["names"].items()}
            if row["status_name"]:
                row["status"] = posted.get(row["status_name"], row.get("status"))
    return rows


def _data(rec, doc: dict, post) -> dict:
    """The action's input: every text, the statuses, and each child list with its texts replaced."""
    data: dict = {}
    statuses = dict(rec.translation_status)
    for f in fields_of(rec.record_type, public=True):
        if not f.bilingual:
            continue
        for lang in LANGUAGES:
            data[f"{f.name}_{lang}"] = post.get(f"{f.name}_{lang}", "")
            chosen = post.get(f"status-{f.name}_{lang}")
            if chosen in CHOSEN_STATUSES:
                statuses[f"{f.name}_{lang}"] = chosen
    data["translation_status"] = {k: v for k, v in statuses.items() if v in TRANSLATION_STATUSES}
    for child in CHILD_LISTS:
        items = []
        for i, item in enumerate(doc.get(child.name, [])):
            item = dict(item)
            for f in child.fields:
                if f.bilingual:
                    for lang in LANGUAGES:
                        item[f"{f.name}_{lang}"] = post.get(f"{child.name}-{i}-{f.name}_{lang}", "")
            items.append(item)
        if items:
            data[child.name] = items
    return data


@staff_view(TRANSLATORS, methods=("GET", "HEAD", "POST"))
def translate(request, pk: int):
    rec = get_record(pk)
    if rec.status in (Status.WITHDRAWN, Status.MERGED):
        messages.error(request, _("A withdrawn or merged record cannot be edited."))
        return redirect("staff:record", rec.pk)
    doc = working_document(rec)
    status = 200
    if request.method == "POST":
        lock_version = parse_int(request.POST.get("lock_version"), low=0)
        try:
            actions.update_record(rec, actor=request.user, expected_lock_version=lock_version if lock_version is not None
                                  else -1, data=_data(rec, doc, request.POST))  # fmt: skip
        except actions.EditConflict:
            messages.error(request, _("Someone saved this record since you opened it. Your text is below, not "
                                      "saved; compare it with the record and save again."))  # fmt: skip
            rec.refresh_from_db()
            status = 409
        except actions.InvalidRecordData as exc:
            messages.error(request, "; ".join(exc.errors))
            status = 400
        else:
            messages.success(request, _("Saved."))
            return redirect("staff:translate", rec.pk)
    posted = request.POST if request.method == "POST" else None
    return render(
        request,
        "editorial/translate.html",
        {
            "record": rec,
            "rows": _rows(rec, working_document(rec) if posted is None else doc, posted),
            "lock_version": rec.lock_version,
            "statuses": CHOSEN_STATUSES,
        },  # fmt: skip
        status=status,
    )
