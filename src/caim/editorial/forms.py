"""The record editor's forms, built from the field declaration (records/fields.py): one form for the record's
own fields, one formset per child list (sources, harms, ...). They only shape input; every rule is checked by
the action the editor calls (records/changes.py parses, records/lint.py lints), and its errors come back here,
attached to the field they name.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from django import forms
from django.forms import formset_factory
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from caim.editorial import widgets
from caim.records import fields as declared
from caim.records.fields import CHILD_LISTS, ChildList, Field, fields_of, get_path
from caim.records.models import Precision
from caim.taxonomy.loader import get_taxonomy

LANGUAGE_NAMES = {"en": _("English"), "fr": _("French")}
ERROR_PATH = re.compile(r"^(?P<path>[\w.]+(?:\[\d+\](?:\.\w+)?)?): (?P<message>.*)$", re.S)
ITEM_PATH = re.compile(r"^(?P<list>\w+)\[(?P<n>\d+)\](?:\.(?P<key>\w+))?$")


def _choices(vocabulary: str, blank: bool = True) -> list[tuple[str, str]]:
    values = [(v.slug, str(v.label_in(_lang()))) for v in get_taxonomy()[vocabulary].values]
    return ([("", "—")] if blank else []) + values


def _lang() -> str:
    from caim.i18n import page_language

    return page_language()


PRECISIONS = Precision.choices


def form_fields(f: Field, *, rows: int = 6) -> dict[str, forms.Field]:
    """The form fields of one declared field (two for a bilingual one), keyed by input name."""
    if f.bilingual:
        widget = widgets.Textarea(attrs={"rows": rows}) if f.kind == declared.PROSE else widgets.TextInput()
        return {
            f"{f.name}_{lang}": forms.CharField(
                label=f"{f.label} ({LANGUAGE_NAMES[lang]})", required=False, widget=widget,
                max_length=f.max_length, strip=False,
            )
            for lang in declared.LANGUAGES
        }  # fmt: skip
    common = {"label": f.label, "required": False, "help_text": f.help}
    kind = f.kind
    if kind == declared.TEXT:
        field = forms.CharField(max_length=f.max_length, widget=widgets.TextInput(), **common)
    elif kind == declared.PROSE:
        field = forms.CharField(widget=widgets.Textarea(attrs={"rows": rows}), **common)
    elif kind == declared.VOCABULARY:
        field = forms.ChoiceField(
            choices=lambda v=f.vocabulary: _choices(v), widget=widgets.Select(), **common
        )
    elif kind == declared.VOCABULARIES:
        field = forms.MultipleChoiceField(
            choices=lambda v=f.vocabulary: _choices(v, blank=False),
            widget=widgets.CheckboxSelectMultiple,
            **common,
        )
    elif kind == declared.DATE:
        field = forms.DateField(widget=widgets.DateInput(), **common)
    elif kind == declared.PRECISION:
        field = forms.ChoiceField(choices=PRECISIONS, initial="day", widget=widgets.Select(), **common)
    elif kind == declared.SLUG:
        field = forms.CharField(max_length=f.max_length, widget=widgets.TextInput(), **common)
    elif kind == declared.LANGUAGE and f.name == "original_language":  # the record's own: one of the two
        field = forms.ChoiceField(choices=list(LANGUAGE_NAMES.items()), widget=widgets.Select(), **common)
    elif kind == declared.LANGUAGE:
        field = forms.CharField(
            max_length=3, initial="en", widget=widgets.TextInput(attrs={"size": 3}), **common
        )
    elif kind == declared.URL:
        field = forms.CharField(max_length=2000, widget=widgets.URLInput(), **common)
    elif kind == declared.FLAG:
        field = forms.BooleanField(widget=widgets.CheckboxInput(), **common)
    elif kind == declared.REFERENCE:
        # Search as you type (htmx fills the datalist); without JavaScript, type the address.
        search = reverse("staff:search_systems" if f.name == "system" else "staff:search_entities")
        options = "system-options" if f.name == "system" else "entity-options"  # actors are entities
        attrs = {"list": options, "hx-get": search, "hx-trigger": "input changed delay:300ms",
                 "hx-target": f"#{options}", "hx-swap": "innerHTML", "autocomplete": "off"}  # fmt: skip
        field = forms.CharField(max_length=200, widget=widgets.TextInput(attrs=attrs), **common)
    elif kind in (declared.NAMES, declared.LINKS, declared.SAME_AS):
        field = forms.CharField(widget=widgets.Textarea(attrs={"rows": 3}), **common)
    else:
        return {}
    return {f.name: field}


def editable_fields(record_type: str) -> list[Field]:
    return [f for f in fields_of(record_type) if f.editable]


class RecordForm(forms.Form):
    """The record's own fields, for one record type."""

    def __init__(self, record_type: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.record_type = record_type
        self.paths: dict[str, str] = {}  # input name -> document path (lint issues and errors name paths)
        self.declared: dict[str, Field] = {}
        for f in editable_fields(record_type):
            for name, field in form_fields(f).items():
                self.fields[name] = field
                self.declared[name] = f
                self.paths[name] = f"{f.path}{name[len(f.name) :]}" if f.bilingual else f.path

    def sections(self):
        """(section, [bound fields]) in page order, for the template; fields the page does not show go first
        (the address, the language) or last (staff-only ones)."""
        grouped: dict[str, list] = {}
        for name in self.fields:
            f = self.declared[name]
            if f.page == declared.HIDDEN:
                group = "identity" if f.public else "other_databases"
            else:
                group = f.section or "details"
            grouped.setdefault(group, []).append(self[name])
        return [(name, grouped[name]) for name in ("identity", *declared.SECTIONS) if name in grouped]


class ChildForm(forms.Form):
    """One item of a child list."""

    def __init__(self, *args, child: ChildList | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.child = child
        self.declared: dict[str, Field] = {}
        for f in child.fields:
            if not f.editable:
                continue
            for name, field in form_fields(f, rows=3).items():
                self.fields[name] = field
                self.declared[name] = f

    def is_blank(self) -> bool:
        """Nothing written in it but defaults (an unused extra row)."""
        data = getattr(self, "cleaned_data", {})
        defaults = (declared.PRECISION, declared.FLAG, declared.LANGUAGE)
        return not any(
            value not in (None, "", [], False)
            for key, value in data.items()
            if key != "DELETE" and self.declared[key].kind not in defaults
        )


def child_formset(child: ChildList, *, data=None, initial=None):
    cls = formset_factory(ChildForm, extra=1, can_delete=True)
    return cls(data=data, initial=initial, prefix=child.name, form_kwargs={"child": child})


# -- documents to forms, forms to action data -----------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def initial_from_document(record_type: str, doc: dict, staff: dict) -> tuple[dict, dict[str, list[dict]]]:
    """Form and formset initial values from a record's working document (and its staff fields)."""
    initial: dict = {}
    for f in editable_fields(record_type):
        source = doc if f.public else staff
        if f.bilingual:
            for lang in declared.LANGUAGES:
                initial[f"{f.name}_{lang}"] = get_path(source, f"{f.path}_{lang}") or ""
            continue
        value = get_path(source, f.path) if f.public else source.get(f.name)
        if f.kind == declared.NAMES:
            value = "\n".join(value or [])
        elif f.kind == declared.LINKS:
            value = "\n".join(link["slug"] for link in value or [])
        elif f.kind == declared.SAME_AS:
            value = "\n".join(" ".join(filter(None, (s["db"], s["id"], s.get("url")))) for s in value or [])
        initial[f.name] = value if value is not None else ""
    children = {}
    for child in CHILD_LISTS:
        rows = []
        for item in doc.get(child.name, []):
            row = {}
            for f in child.fields:
                if f.kind == declared.REFERENCE:
                    ref = item.get("actor") if f.name == "actor" else item
                    row[f.name] = (ref or {}).get("slug", "")
                elif f.bilingual:
                    row.update({k: item.get(k) or "" for k in f.attributes()})
                else:
                    row[f.name] = item.get(f.name)
            rows.append(row)
        children[child.name] = rows
    return initial, children


def _same_as(text: str) -> list[dict]:
    out = []
    for line in _lines(text):
        parts = line.split()
        entry = {"db": parts[0], "id": parts[1] if len(parts) > 1 else ""}
        if len(parts) > 2:
            entry["url"] = parts[2]
        out.append(entry)
    return out


def form_data(form: RecordForm, formsets: dict) -> dict:
    """The action's input (records/changes.py) from valid forms."""
    data: dict = {}
    for name, value in form.cleaned_data.items():
        f = form.declared[name]
        if f.kind == declared.DATE:
            value = value.isoformat() if value else None
        elif f.kind == declared.NAMES:
            value = _lines(value)
        elif f.kind == declared.LINKS:
            value = [int(v) if v.isdigit() else v for v in _lines(value)]
        elif f.kind == declared.SAME_AS:
            value = _same_as(value)
        data[name] = value
    for name, formset in formsets.items():
        items = []
        for child_form in formset.forms:
            if child_form.cleaned_data.get("DELETE") or child_form.is_blank():
                continue
            item = {}
            for key, value in child_form.cleaned_data.items():
                if key == "DELETE":
                    continue
                f = child_form.declared[key]
                item[key] = value.isoformat() if f.kind == declared.DATE and value else value
                if f.kind == declared.DATE and not value:
                    item[key] = None
            items.append(item)
        data[name] = items
    return data


@dataclass
class Editor:
    """The record form and its child formsets, bound or not."""

    form: RecordForm
    formsets: dict  # child list name -> formset
    issues: list = dataclasses.field(
        default_factory=list
    )  # the working copy's lint, when the view computes it

    @classmethod
    def build(cls, record_type: str, doc: dict, staff: dict, data=None) -> Editor:
        initial, children = initial_from_document(record_type, doc, staff)
        form = RecordForm(record_type, data=data, initial=initial)
        formsets = {c.name: child_formset(c, data=data, initial=children[c.name]) for c in CHILD_LISTS}
        return cls(form, formsets)

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        return all([valid, *(fs.is_valid() for fs in self.formsets.values())])

    def data(self) -> dict:
        return form_data(self.form, self.formsets)

    def kept_items(self, name: str) -> list:
        """The forms of a child list that become items, in order (errors name items by this position)."""
        return [f for f in self.formsets[name].forms if not f.cleaned_data.get("DELETE") and not f.is_blank()]

    def add_errors(self, messages: list[str]) -> list[str]:
        """Attach the action's errors ("sources[2].url: ...") to their fields; returns those it could not."""
        left = []
        by_path = {path: name for name, path in self.form.paths.items()}
        by_path.update({name: name for name in self.form.fields})
        for message in messages:
            match = ERROR_PATH.match(message)
            path, text = (match["path"], match["message"]) if match else ("", message)
            item = ITEM_PATH.match(path)
            if item and item["list"] in self.formsets:
                kept = self.kept_items(item["list"])
                n = int(item["n"]) - 1
                key = item["key"] if item["key"] in (kept[n].fields if n < len(kept) else {}) else None
                if n < len(kept):
                    kept[n].add_error(key, text)
                    continue
            elif path in by_path:
                self.form.add_error(by_path[path], text)
                continue
            left.append(message)
        return left
