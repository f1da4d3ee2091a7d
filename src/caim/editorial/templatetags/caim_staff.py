"""Template helpers of the editorial area: the document path of a form field (lint issues link to it), and the
labels of the editor's sections and lists."""

from django import template
from django.utils.translation import gettext_lazy as _

from caim.records.fields import CHILDREN
from caim.taxonomy.loader import get_taxonomy

register = template.Library()

SECTION_LABELS = {
    "identity": _("Address and language"),
    "notices": _("Origin"),
    "header": _("Title and status"),
    "summary": _("Summary"),
    "dates": _("Dates"),
    "narrative": _("Narrative"),
    "linked": _("Materialized from"),
    "details": _("Record details"),
    "other_databases": _("Links and staff notes"),
}


@register.simple_tag
def form_path(form, name: str) -> str:
    return form.paths.get(name, name)


@register.simple_tag
def item_path(list_name: str, number: int, field_name: str) -> str:
    return f"{list_name}[{number}].{field_name}"


@register.simple_tag
def section_label(section: str) -> str:
    return SECTION_LABELS.get(section, section)


@register.simple_tag
def child_label(name: str) -> str:
    return CHILDREN[name].label


def _values(vocabulary: str) -> list[tuple[str, str]]:
    from caim.i18n import page_language

    return [(v.slug, v.label_in(page_language())) for v in get_taxonomy()[vocabulary].values]


@register.simple_tag
def entity_kinds() -> list[tuple[str, str]]:
    return _values("entity_kind")


@register.simple_tag
def system_types() -> list[tuple[str, str]]:
    return _values("system_type")
