"""Citation downloads for one record version: CSL-JSON (canonical), BibTeX and RIS (SPEC §1.6 item 13)."""

from __future__ import annotations

import re

from caim import prettyjson


def csl_item(doc: dict, *, lang: str, url: str, site_name: str, accessed: str) -> dict:
    """The CSL-JSON item of a record version."""
    title = doc.get(f"title_{lang}") or doc["title_en"] or doc["title_fr"]
    published = (doc.get("published_at") or "")[:10]
    parts = [int(p) for p in published.split("-")] if published else []
    return {
        "id": f"{doc['slug']}-v{doc['version']}",
        "type": "report",
        "title": title,
        "author": [{"literal": site_name}],
        "publisher": site_name,
        "issued": {"date-parts": [parts]} if parts else {},
        "accessed": {"date-parts": [[int(p) for p in accessed.split("-")]]},
        "version": str(doc["version"]),
        "number": str(doc["id"]),
        "genre": "AI incident record" if doc["type"] == "incident" else "AI hazard record",
        "URL": url,
        "language": lang,
    }


def to_csl_json(item: dict) -> str:
    return prettyjson.dumps([item])


def _bibtex_escape(text: str) -> str:
    text = re.sub(r"([\\{}])", r"\\\1", text)
    return re.sub(r"([&%$#_])", r"\\\1", text)


def to_bibtex(item: dict) -> str:
    year = item["issued"].get("date-parts", [[None]])[0][0] if item["issued"] else None
    key = re.sub(r"[^A-Za-z0-9]+", "_", item["id"])
    fields = {
        "title": "{" + _bibtex_escape(item["title"]) + "}",
        "author": "{" + _bibtex_escape(item["author"][0]["literal"]) + "}",
        "institution": _bibtex_escape(item["publisher"]),
        "type": _bibtex_escape(item["genre"]),
        "number": item["number"],
        "version": item["version"],
        "year": str(year or ""),
        "url": item["URL"],
        "urldate": "-".join(f"{p:02d}" for p in item["accessed"]["date-parts"][0]),
        "language": item["language"],
    }
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items() if value)
    return f"@techreport{{{key},\n{body}\n}}\n"


def _one_line(value: str) -> str:
    """RIS is one tag per line: a line break inside a value would start a forged tag."""
    return " ".join(value.split())


def to_ris(item: dict) -> str:
    date_parts = item["issued"].get("date-parts", [[]])[0] if item["issued"] else []
    lines = [
        ("TY", "RPRT"),
        ("TI", item["title"]),
        ("AU", item["author"][0]["literal"]),
        ("PB", item["publisher"]),
        ("PY", str(date_parts[0]) if date_parts else ""),
        ("DA", "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(date_parts))),
        ("ET", item["version"]),
        ("M1", item["number"]),
        ("M3", item["genre"]),
        ("UR", item["URL"]),
        ("LA", item["language"]),
        ("ER", ""),
    ]
    return "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in lines if value or tag == "ER")
