"""The badges of a record (verification, dispute, severity, status, confidence, version), from a version
document or a PublicRecord row, labelled in the page language."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from caim.taxonomy.loader import get_taxonomy


@dataclass(frozen=True)
class Badge:
    kind: str  # css modifier: verification, dispute, severity, version, status, confidence
    value: str  # slug, for styling
    label: str


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
    tax = get_taxonomy()
    badges = []
    if kind == "incident":
        if verification:
            badges.append(Badge("verification", verification, tax.label("verification", verification, lang)))
        if contested:
            badges.append(Badge("dispute", "contested", tax.label("dispute", "contested", lang)))
    elif hazard_status:
        badges.append(Badge("status", hazard_status, tax.label("hazard_status", hazard_status, lang)))
    if severity:
        badges.append(Badge("severity", severity, tax.label("severity", severity, lang)))
    if kind == "hazard" and confidence:
        label = _("Confidence: %(level)s") % {"level": tax.label("confidence", confidence, lang)}
        badges.append(Badge("confidence", confidence, label))
    if version:
        badges.append(Badge("version", str(version), _("Version %(n)s") % {"n": version}))
    return badges


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
