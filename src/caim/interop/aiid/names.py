"""How AIID things are named in this monitor: slugs of records and entities, publishers, entity names.

Shared by the importer (draft records) and the synthetic-record generator, so both name an AIID incident,
report or entity the same way.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit


def slugify(text: str, limit: int = 60) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-") or "record"


def publisher_of(url: str) -> str:
    host = urlsplit(url).hostname or "unknown"
    return host.removeprefix("www.")


def entity_slug(aiid_slug: str) -> str:
    return f"aiid-{slugify(aiid_slug, 180)}"


def entity_name(aiid_slug: str, names: dict[str, str]) -> str:
    """The name of an AIID entity: the one `names` (the GraphQL export's) gives, else one made of its slug."""
    return names.get(aiid_slug) or aiid_slug.replace("-", " ").title()
