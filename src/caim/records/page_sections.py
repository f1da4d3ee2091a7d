"""The record page's sections (SPEC §1.6), in the order of fields.SECTIONS, written in Python.

The page is the site's most rendered one (every record, every version, both languages, live and in the static
export): in Django's template engine its sections took three quarters of its time, most of it in the engine's
own work (an include, a variable lookup) rather than in the record. Each function here returns one section's
markup from the RecordPage (presenters.py), which decides every label, fallback and date; they only lay it
out. Every value is escaped (`e`) unless it is already markup made by a function that escapes (SafeString).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from caim.records.bilingual import e, html_block, lang_attr, linked_rows, marked, text_html
from caim.records.fields import SECTIONS


def t(message: str) -> str:
    """A label in the page language. Not escaped, as {% translate %} does not escape: the catalogs are the
    project's own markup-free text, like the template text they replace."""
    return gettext(message)


@dataclass
class PageContext:
    """What a record page shows besides its RecordPage: the public record (or the preview's stand-in), the
    editorial preview's record, the formatted citation, the correction form's address and the other language's
    page."""

    public: Any
    citation: str
    correction_url: str
    other_lang: str
    other_lang_url: str
    preview: Any = None


def generic(page, name: str) -> str:
    """The section's declared fields with no markup of their own (fields.GENERIC)."""
    return "".join(
        f'<div class="record-field record-field-{e(f["name"])}"><h3>{e(f["label"])}</h3>'
        f"{text_html(f['value'], 'p')}</div>\n"
        for f in page.generic[name]
    )


def assessed() -> str:
    """The "assessed" mark of the headings that hold the editors' judgement, linked to its definition."""
    meaning = t("(the editors' judgement: what this means)")
    return (
        f'<a class="assessed" href="{e(reverse("methodology"))}#assessed">{t("assessed")}'
        f'<span class="visually-hidden"> {meaning}</span></a>'
    )


def linked_list(records) -> str:
    return f'<ul class="linked-records">\n  {linked_rows(records)}\n</ul>\n'


def titled(anchor: str, heading: str, body: str) -> str:
    """A section with its heading, as the sections shown only when they have content lay it out."""
    return (
        f'\n  <section aria-labelledby="h-{anchor}">\n    <h2 id="h-{anchor}">{heading}</h2>\n'
        f"    {body}\n  </section>\n  "
    )


def with_fields(page, name: str, shown: str = "") -> str:
    """A section's markup (empty when it has nothing to show), then its declared fields without markup."""
    return "  " + shown + "\n\n" + generic(page, name)


def notices(page, c: PageContext) -> str:
    out = ""
    if c.preview:
        out += (
            f'<p class="notice notice-preview" role="note"><strong>{t("Preview")}</strong> — '
            f"{t('the working copy as it would be published; readers do not see it.')} "
            f'<a href="{e(reverse("staff:record", args=[c.preview.pk]))}">{t("Back to the editorial area")}</a></p>\n'
        )
    out += "  "
    if not page.is_current:
        current = reverse(
            "records:incident_detail" if page.is_incident else "records:hazard_detail", args=[c.public.slug]
        )
        reading = gettext(
            "You are reading version %(n)s of this record. The current version is %(current)s."
        ) % {
            "n": e(page.version),
            "current": e(c.public.version_number),
        }
        out += (
            f'\n  <p class="notice notice-version" role="note">{reading}\n'
            f'    <a href="{e(current)}">{t("Read the current version")}</a></p>\n  '
        )
    out += "\n  "
    if page.is_synthetic:
        out += (
            '\n  <p class="notice notice-synthetic" role="note">'
            f"{t('Synthetic record generated from AI Incident Database texts for testing and benchmarks. It is not a record of this monitor.')}"  # noqa: E501
            "</p>\n  "
        )
    out += "\n  "
    if page.withdrawn:
        out += (
            f'\n  <div class="notice notice-withdrawn" role="note"><strong>{t("This record has been withdrawn.")}'
            f"</strong> {text_html(page.withdrawn)}</div>\n  "
        )
    out += "\n  "
    if page.doc.get("verification") == "refuted":
        out += (
            '\n  <p class="notice notice-refuted" role="note">'
            f"{t('The claims in this record have been shown to be false. It stays public so that the correction is on record.')}"  # noqa: E501
            "</p>\n  "
        )
    return out + "\n\n" + generic(page, "notices")


def header(page, c: PageContext) -> str:
    kind = t("Incident") if page.is_incident else t("Hazard")
    number = gettext("Record %(id)s") % {"id": e(page.doc["id"])}
    badges = "".join(e(b.html) for b in page.badges)
    return (
        f'  <header class="record-header">\n    <p class="record-kind">{kind} · {number}</p>\n'
        f'    <h1 id="record-title">{text_html(page.title)}</h1>\n'
        f'    <ul class="badges" aria-label="{t("Status")}">\n      {badges}\n    </ul>\n  </header>\n\n'
        + generic(page, "header")
    )


def summary(page, c: PageContext) -> str:
    gap = ""
    if page.governance_gap:
        gap = (
            f'<div class="governance-gap"><strong>{t("Governance gap:")}</strong> '
            f"{html_block(page.governance_gap, 'gap-text')}</div>"
        )
    dispute = ""
    if page.doc.get("dispute") == "contested" and page.dispute_note:
        dispute = (
            f'<p class="dispute-note"><strong>{t("Contested:")}</strong> {text_html(page.dispute_note)}</p>'
        )
    return (
        f'  <section class="summary" aria-label="{t("Summary")}">\n'
        f"    {html_block(page.summary, 'summary-text')}\n    {gap}\n    {dispute}\n  </section>\n\n"
        + generic(page, "summary")
    )


def dates(page, c: PageContext) -> str:
    shown = ""
    if page.dates:
        rows = "".join(f"<div><dt>{e(label)}</dt><dd>{e(value)}</dd></div>" for label, value in page.dates)
        shown = f'\n  <dl class="dates">\n    {rows}\n  </dl>\n  '
    return with_fields(page, "dates", shown)


def narrative(page, c: PageContext) -> str:
    shown = ""
    if page.narrative:
        heading = t("What happened") if page.is_incident else t("The hazard")
        shown = titled("narrative", heading, html_block(page.narrative, "narrative"))
    return with_fields(page, "narrative", shown)


def linked(page, c: PageContext) -> str:
    shown = ""
    if page.linked:
        heading = t("Materialized From") if page.is_incident else t("Materialized Incidents")
        shown = titled("linked", heading, linked_list(page.linked))
    return with_fields(page, "linked", shown)


def harms(page, c: PageContext) -> str:
    shown = ""
    if page.harms:
        items = []
        for h in page.harms:
            types = severity = reach = ""
            if h["harm_types"]:
                tags = "".join(f'<span class="tag">{e(label)}</span>' for label in h["harm_types"])
                types = f"<div><dt>{t('Harm type')}</dt><dd>{tags}</dd></div>"
            if h["severity"]:
                severity = f"<div><dt>{t('Severity')}</dt><dd>{e(h['severity'])}</dd></div>"
            if h["reach"]:
                reach = f"<div><dt>{t('Reach')}</dt><dd>{e(h['reach'])}</dd></div>"
            items.append(
                f'\n      <li class="harm">\n        {text_html(h["description"], "p")}\n'
                f'        <dl class="harm-facts">\n          {types}\n          {severity}\n          {reach}\n'
                "        </dl>\n      </li>\n      "
            )
        shown = titled("harms", t("Harms"), f'<ul class="harms">\n      {"".join(items)}\n    </ul>')
    return with_fields(page, "harms", shown)


def responses(page, c: PageContext) -> str:
    shown = ""
    if page.responses:
        items = []
        for r in page.responses:
            actor = f" · {marked(r['actor']['name'])}" if r["actor"] else ""
            when = f" · {e(r['date'])}" if r["date"] else ""
            source = ""
            if r["source"]:
                s = r["source"]
                source = (
                    f'<p class="response-source">{t("Source:")} <a href="#source-{e(s["number"])}">'
                    f"[{e(s['number'])}] {marked(s['publisher'])}</a></p>"
                )
            items.append(
                f'\n      <li><p class="response-head"><strong>{e(r["kind"])}</strong>{actor}{when}</p>\n'
                f"        {text_html(r['description'], 'p')}\n        {source}</li>\n      "
            )
        body = f'<ul class="responses">\n      {"".join(items)}\n    </ul>'
        shown = titled("responses", t("Responses"), body)
    return with_fields(page, "responses", shown)


def evidence(page, c: PageContext) -> str:
    count = len(page.sources)
    reports = ngettext("%(n)s report", "%(n)s reports", count) % {"n": count}
    items = []
    for s in page.sources:
        date = f" ({e(s['date'])})" if s["date"] else ""
        archived = ""
        if s.get("archived_url"):
            archived = f' · <a href="{e(s["archived_url"])}" rel="noopener">{t("archived copy")}</a>'
        supports = text_html(s["supports"], "p", "source-supports") if s["supports"] else ""
        background = ""
        if s.get("background"):
            background = f'<p class="source-background">{t("Background source (not cited in the text)")}</p>'
        items.append(
            f'\n      <li id="source-{e(s["number"])}" value="{e(s["number"])}">\n'
            f'        <p class="source-meta">{e(s["type_label"])} — {marked(s["publisher"])}{date}</p>\n'
            f'        <p class="source-title"><a href="{e(s["url"])}" rel="noopener" hreflang="{e(s["language"])}" '
            f'lang="{e(s["language"])}">{e(s["title"])}</a>{archived}</p>\n'
            f"        {supports}\n        {background}\n      </li>\n      "
        )
    return (
        f'  <section aria-labelledby="h-evidence">\n    <h2 id="h-evidence">{t("Evidence")}</h2>\n'
        f'    <p class="source-count">{reports}</p>\n    <ol class="sources">\n      {"".join(items)}\n'
        "    </ol>\n  </section>\n\n" + generic(page, "evidence")
    )


def _attribution(p: dict) -> str:
    a = p["attribution"]
    if not a:
        return ""
    said = marked(a["text"]) + (f" ({e(a['date'])})" if a["date"] else "")
    if p["source"]:
        said = f'<a href="#source-{e(p["source"]["number"])}">{said}</a>'
    return f'<p class="attribution">{said}</p>'


def details(page, c: PageContext) -> str:
    out = ""
    if page.has_details:
        current = page.is_current and not c.public.withdrawn
        out += f'\n  <section aria-labelledby="h-details" class="record-details">\n    <h2 id="h-details">{t("Record details")}</h2>\n    '  # noqa: E501
        if page.recommendations:
            items = "".join(
                f"<li>{text_html(p['text'], 'p')}{_attribution(p)}</li>" for p in page.recommendations
            )
            out += (
                f"\n    <h3>{t('Policy Recommendations')} {assessed()}</h3>\n"
                f'    <ul class="recommendations">\n      {items}\n    </ul>\n    '
            )
        out += "\n    "
        if page.mitigations:
            items = "".join(
                f"<li><strong>{e(m['pathway'])}</strong> — {text_html(m['text'])}</li>"
                for m in page.mitigations
            )
            out += (
                f"\n    <h3>{t('Mitigations')} {assessed()}</h3>\n"
                f'    <ul class="mitigations">\n      {items}\n    </ul>\n    '
            )
        out += "\n    "
        if page.editorial_assessment:
            out += (
                f"\n    <h3>{t('Editorial Assessment')} {assessed()}</h3>\n"
                f"    {html_block(page.editorial_assessment, 'assessment')}\n    "
            )
        out += "\n    "
        if page.entities:
            items = []
            for x in page.entities:
                name = e(x["name"])
                if x["roles"] and current:
                    name = f'<a href="{e(reverse("entity_detail", args=[x["slug"]]))}">{name}</a>'
                described = f" — {text_html(x['description'])}" if x["description"] else ""
                items.append(
                    f"<li><strong{lang_attr(x['name'])}>{name}</strong> "
                    f'<span class="roles">({e(x["roles_label"])})</span>{described}</li>'
                )
            out += (
                f"\n    <h3>{t('Entities Involved')}</h3>\n"
                f'    <ul class="entities">\n      {"".join(items)}\n    </ul>\n    '
            )
        out += "\n    "
        if page.systems:
            items = []
            for s in page.systems:
                name = e(s["name"])
                if current:
                    name = f'<a href="{e(reverse("system_detail", args=[s["slug"]]))}">{name}</a>'
                developer = f", {marked(s['developer']['name'])}" if s["developer"] else ""
                involvement = f" — {text_html(s['involvement'])}" if s["involvement"] else ""
                items.append(
                    f"<li><strong{lang_attr(s['name'])}>{name}</strong> "
                    f'<span class="system-type">({e(s["type_label"])}{developer})</span>{involvement}</li>'
                )
            out += (
                f"\n    <h3>{t('AI Systems')}</h3>\n"
                f'    <ul class="systems">\n      {"".join(items)}\n    </ul>\n    '
            )
        out += "\n    "
        if page.taxonomy:
            groups = "".join(
                f"<div><dt>{e(g['label'])}</dt><dd>"
                + "".join(f'<a class="tag" href="{e(v["url"])}">{e(v["label"])}</a>' for v in g["values"])
                + "</dd></div>"
                for g in page.taxonomy
            )
            out += (
                f"\n    <h3>{t('Taxonomy')} {assessed()}</h3>\n"
                f'    <dl class="taxonomy">\n      {groups}\n    </dl>\n    '
            )
        out += "\n    "
        nexus = page.canada_nexus
        if nexus:
            note = f" — {text_html(nexus['note'])}" if nexus["note"] else ""
            out += (
                f"\n    <h3>{t('Canada nexus')}</h3>\n"
                f"    <p><strong>{e(nexus['label'])}</strong>{note}</p>\n    "
            )
        out += "\n  </section>\n  "
    return with_fields(page, "details", out)


def related(page, c: PageContext) -> str:
    shown = ""
    if page.related:
        shown = titled("related", t("Related records"), linked_list(page.related))
    return with_fields(page, "related", shown)


def other_databases(page, c: PageContext) -> str:
    shown = ""
    withdrawn = c.public.withdrawn
    if page.other_databases or not withdrawn:
        links = ""
        if page.other_databases:
            items = "".join(
                f'<li><a href="{e(o["url"])}" rel="noopener">{e(o["name"])} {e(o["id"])}</a></li>'
                for o in page.other_databases
            )
            links = f'<ul class="other-databases">{items}</ul>'
        exports = ""
        if not withdrawn:
            kind = "incident" if page.is_incident else "hazard"
            pinned = [c.public.slug, page.version]
            oecd = (
                f'<a href="{e(reverse(f"{kind}_version_oecd", args=pinned))}" type="application/json">'
                f"{t('OECD reporting framework (JSON)')}</a>"
            )
            if page.is_incident:
                oecd += (
                    f' · <a href="{e(reverse("incident_version_aiid", args=pinned))}" type="application/json">'
                    f"{t('AIID submission (JSON)')}</a>"
                )
            exports = f'<p class="exports">{t("Export:")}\n      {oecd}</p>'
        shown = titled("other", t("In other databases"), f"{links}\n    {exports}")
    return with_fields(page, "other_databases", shown)


def changelog(page, c: PageContext) -> str:
    rows = []
    for v in page.changelog:
        current = ' aria-current="true"' if v["is_this"] else ""
        diff = ""
        if v["diff_url"]:
            diff = f' <a class="diff-link" href="{e(v["diff_url"])}">{t("what changed")}</a>'
        rows.append(
            f'\n        <tr{current}><td><a href="{e(v["url"])}">{e(v["number"])}</a></td><td>{e(v["date"])}</td>'
            f"<td>{text_html(v['note'])}{diff}</td></tr>\n        "
        )
    version = gettext("Version %(n)s") % {"n": e(page.version)}
    return (
        f'  <section aria-labelledby="h-changelog">\n    <h2 id="h-changelog">{t("Changelog")}</h2>\n'
        '    <div class="table-scroll"><table class="changelog">\n'
        f'      <thead><tr><th scope="col">{t("Version")}</th><th scope="col">{t("Date")}</th>'
        f'<th scope="col">{t("Change")}</th></tr></thead>\n      <tbody>\n        {"".join(rows)}\n'
        f'      </tbody>\n    </table></div>\n    <p class="version-line">{version}</p>\n  </section>\n\n'
        + generic(page, "changelog")
    )


def citation(page, c: PageContext) -> str:
    downloads = " · ".join(
        f'<a href="{e(url)}" download>{e(label)}</a>' for label, url in page.citation_downloads
    )
    other = "Lire cette fiche en français" if c.other_lang == "fr" else "Read this record in English"
    return (
        f'  <section aria-labelledby="h-cite" class="cite">\n    <h2 id="h-cite">{t("Cite this record")}</h2>\n'
        f'    <p class="citation">{e(c.citation)}</p>\n'
        f'    <p class="cite-downloads">{t("Download:")}\n      {downloads}</p>\n'
        f'    <p class="record-actions">\n      <a href="{e(c.correction_url)}">{t("Suggest a correction")}</a> ·\n'
        f'      <a href="{e(c.other_lang_url)}" hreflang="{e(c.other_lang)}" lang="{e(c.other_lang)}">{other}</a>\n'
        "    </p>\n  </section>\n" + generic(page, "citation")
    )


RENDERERS: dict[str, Callable[[Any, PageContext], str]] = {
    "notices": notices,
    "header": header,
    "summary": summary,
    "dates": dates,
    "narrative": narrative,
    "linked": linked,
    "harms": harms,
    "responses": responses,
    "evidence": evidence,
    "details": details,
    "related": related,
    "other_databases": other_databases,
    "changelog": changelog,
    "citation": citation,
}
assert set(RENDERERS) == set(SECTIONS), "every declared section has its renderer"


def record_sections(page, context: PageContext) -> SafeString:
    """The record's article: every section in the declared order."""
    return SafeString("".join(RENDERERS[name](page, context) for name in SECTIONS))
