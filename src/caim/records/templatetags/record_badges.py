"""`{% badge_legend "incident" "hazard" as legend %}`: every badge a record can carry, by facet, in the page
language (the key of the badges on the lists and the methodology)."""

from django import template

from caim.i18n import page_language
from caim.records.badges import legend

register = template.Library()


@register.simple_tag
def badge_legend(*kinds: str):
    return legend(kinds, page_language())
