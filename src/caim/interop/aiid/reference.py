"""The AIID reference corpus as deduplication reads it (`caim.intake.embedding.index_aiid_corpus`): each
incident's texts, and how a candidate names an incident.

An incident's texts are its title, its description, the names of its entities and the title of each of its
reports. A report's order is its number: AIID numbers reports as they arrive, so a lead can be told which
incidents were reported on most recently, as the linking benchmark measures (bench/linking.py).
"""

from __future__ import annotations

from collections import defaultdict

from caim.interop.models import AiidIncident, AiidIncidentEntity, AiidIncidentReport

# (field, item, text, language, order, day): the fields of caim.intake.embedding.Text; the day is the
# incident's date (an ordinal, 0 when unknown) on every text of the incident
IncidentText = tuple[str, int, str, str, float, int]


def incident_texts() -> list[tuple[int, list[IncidentText]]]:
    """(incident number, its texts) for every AIID incident, by number."""
    names: dict[int, set[str]] = defaultdict(set)
    for incident_id, name in AiidIncidentEntity.objects.values_list("incident__incident_id", "entity__name"):
        names[incident_id].add(name)
    reports: dict[int, list[IncidentText]] = defaultdict(list)
    links = AiidIncidentReport.objects.exclude(report__title="").order_by(
        "incident_id", "report__report_number"
    )
    for incident_id, number, title in links.values_list(
        "incident__incident_id", "report__report_number", "report__title"
    ):
        if title.strip():
            reports[incident_id].append(("report", number, title.strip(), "en", float(number)))
    found = []
    for incident_id, title, description, day in AiidIncident.objects.order_by("incident_id").values_list(
        "incident_id", "title", "description", "date"
    ):
        texts = [("title", 0, title.strip(), "en", 0.0), ("description", 0, description.strip(), "en", 0.0)]
        if names[incident_id]:
            texts.append(("entities", 0, ", ".join(sorted(names[incident_id])), "en", 0.0))
        ordinal = day.toordinal() if day else 0  # the incident's date, on each of its texts
        found.append(
            (incident_id, [(*t, ordinal) for t in [t for t in texts if t[2]] + reports[incident_id]])
        )
    return found


def incident_labels(numbers) -> dict[int, str]:
    """{incident number: its title}, for the screening view."""
    return {
        n: title
        for n, title in AiidIncident.objects.filter(incident_id__in=list(numbers)).values_list(
            "incident_id", "title"
        )
    }
