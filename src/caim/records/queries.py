"""The read layer of the public records: what "listed" means, and how an address finds a record.

A public record is *listed* until it is withdrawn: lists, counts, feeds, search, entity pages and the corpus
files show listed records only, while a withdrawn record keeps its page (with the withdrawal notice). Every query
says so through `.listed()` rather than repeating the flag.

A record is found by its slug, by its id, or by an earlier slug; only the first is its canonical address.
`PublicRecord.objects.find()` says which record an address names and whether it is canonical; what to answer
(a page, a redirect, a 404) is the view's business.

Models use these querysets as their managers, so this module imports no model at load time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from caim.params import is_number, parse_int

if TYPE_CHECKING:
    from caim.records.models import PublicRecord


# The hazard watch (SPEC §4): hazards at these values are on it.
WATCH_STATUS, WATCH_SEVERITY = "escalating", "critical"
SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,200}$")


def listed(path: str = "") -> Q:
    """The condition "the public record at `path` (e.g. "record__") is listed", for filters and annotations."""
    return Q(**{f"{path}withdrawn": False})


@dataclass(frozen=True)
class Found:
    record: PublicRecord
    canonical: bool  # False: the address was an id, an old slug, or the other record type's path


class ListedQuerySet(models.QuerySet):
    """A queryset of public-layer rows; `listed_path` leads from its model to the record's withdrawn flag."""

    listed_path = "record__"

    def listed(self):
        return self.filter(listed(self.listed_path))


class PublicRecordQuerySet(ListedQuerySet):
    listed_path = ""

    def on_watch(self):
        """The hazard watch: listed hazards that are escalating or critical, most severe first."""
        watched = Q(hazard_status=WATCH_STATUS) | Q(severity=WATCH_SEVERITY)
        return (
            self.listed()
            .filter(watched, record_type="hazard")
            .order_by("-severity_rank", "-published_at", "pk")
        )

    def find(self, record_type: str | None, ident: str) -> Found | None:
        """The public record an address names: its slug, its id (digits) or one of its earlier slugs. With no
        record type (the API's addresses), a slug of either type is canonical."""
        if is_number(ident):
            pk = parse_int(ident, low=1)
            record = self.filter(pk=pk).only("record_type", "slug", "merged_into").first() if pk else None
            if record is not None and record.merged_into_id:
                record = self.get(pk=record.merged_into_id)
            return Found(record, canonical=False) if record else None
        if not SLUG.match(ident):
            return None
        record = self.select_related("version").filter(slug=ident).first()
        if record is not None and record.merged_into_id:  # a duplicate merged into another: go there
            return Found(self.get(pk=record.merged_into_id), canonical=False)
        if record is not None:
            return Found(record, canonical=record_type is None or record.record_type == record_type)
        from caim.records.models import SlugRedirect

        moved = SlugRedirect.objects.filter(old_slug=ident).values_list("record_id", flat=True).first()
        record = self.filter(pk=moved).only("record_type", "slug").first() if moved else None
        return Found(record, canonical=False) if record else None
