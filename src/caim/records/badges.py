"""The badges of a record (verification, dispute, severity, status, confidence, version), from a version
document or a PublicRecord row, labelled in the page language.

Each badge names its facet ("Severity: Significant"), so that it is understood without its colour; site.css
gives each facet its own colour family, and `legend` lists every badge a record can carry, for the key shown
on the lists and the methodology."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from caim.taxonomy.loader import get_taxonomy


@dataclass(frozen=True)
class Badge:
    kind: str  # css modifier: verification, dispute, severity, version, status, confidence
    value: str  # slug, for styling
    label: str  # the value ("Significant")
    # The facet ("Severity"), shown before the value; empty when the label names itself ("Version 2").
    facet: str = ""

    @property
    def html(self) -> SafeString:
        """The badge as a list item, in the active language. Written here rather than in a template: a page
        of records shows hundreds of badges, and an included template costs more than the rest of a row. Made
        once per badge and language (there are a few dozen): a static export writes about a million of them."""
        key = (self, get_language())
        if key not in _HTML:
            _HTML[key] = self._html()
        return _HTML[key]

    def _html(self) -> SafeString:
        facet = (
            format_html('<span class="badge-facet">{}</span> ', _("%(label)s:") % {"label": self.facet})
            if self.facet
            else ""
        )
        return format_html(
            '<li class="badge badge-{} badge-{}-{}">{}<span class="badge-value">{}</span></li>',
            self.kind, self.kind, self.value, facet, self.label,
        )  # fmt: skip


_HTML: dict[tuple[Badge, str], SafeString] = {}


def badges_html(badges: list[Badge]) -> SafeString:
    """A record's badges as the small list that follows its link in lists and related records."""
    return SafeString('<ul class="badges badges-small">' + "".join(b.html for b in badges) + "</ul>")


def _facet(vocabulary: str, lang: str) -> str:
    return get_taxonomy()[vocabulary].label_in(lang)


def record_badges(
    kind: str,
    *,
    verification="",
    contested=False,
    severity="",
    hazard_status="",
    confidence="",
    version: int | None = None,
    lang: str,
) -> list[Badge]:
    badges = []
    if kind == "incident":
        if verification:
            badges.append(_badge("verification", "verification", verification, lang))
        if contested:
            badges.append(_badge("dispute", "dispute", "contested", lang))
    elif hazard_status:
        badges.append(_badge("status", "hazard_status", hazard_status, lang))
    if severity:
        badges.append(_badge("severity", "severity", severity, lang))
    if kind == "hazard" and confidence:
        badges.append(_badge("confidence", "confidence", confidence, lang))
    if version:
        badges.append(Badge("version", str(version), _("Version %(n)s") % {"n": version}))
    return badges


def _badge(kind: str, vocabulary: str, value: str, lang: str) -> Badge:
    tax = get_taxonomy()
    return Badge(kind, value, tax.label(vocabulary, value, lang), _facet(vocabulary, lang))


# The facets of each record type, in the order a record's badges come: (css kind, vocabulary).
LEGEND_FACETS = {
    "incident": (("verification", "verification"), ("dispute", "dispute"), ("severity", "severity")),
    "hazard": (("status", "hazard_status"), ("severity", "severity"), ("confidence", "confidence")),
}


def legend(kinds: tuple[str, ...], lang: str) -> list[tuple[str, list[Badge]]]:
    """Every badge a record of these types can carry, by facet: [(facet label, [badge, ...]), ...]."""
    tax = get_taxonomy()
    seen, out = set(), []
    for kind in kinds:
        for css, vocabulary in LEGEND_FACETS[kind]:
            if vocabulary not in seen:
                seen.add(vocabulary)
                out.append(
                    (
                        _facet(vocabulary, lang),
                        [_badge(css, vocabulary, v, lang) for v in tax[vocabulary].slugs()],
                    )
                )
    return out


def public_badges(public, lang: str) -> list[Badge]:
    """Badges of a PublicRecord row (lists, linked records)."""
    return record_badges(
        public.record_type,
        verification=public.verification,
        contested=public.contested,
        severity=public.severity,
        hazard_status=public.hazard_status,
        confidence=public.confidence,
        lang=lang,
    )
