"""Atom feeds (SPEC §5.3): all records, incidents, hazards, one domain, one entity; in English and French (the
French ones under /fr/, with French titles, summaries, labels and record addresses).

Built with Django's syndication framework. They read the public layer only and list listed records only: a
draft has no PublicRecord row, and a withdrawn record leaves them (the JSON Feed announces withdrawals). Items
come newest first by first publication, with their domains read from the current version document in the same
query: one query for the items whatever their number (plus one for the entity of an entity feed).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Exists, OuterRef
from django.db.models.fields.json import KeyTransform
from django.http import Http404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from caim.i18n import page_language
from caim.records.bilingual import name_in
from caim.records.models import Entity, PublicEntityRole, PublicRecord, PublicTag
from caim.records.views.reuse import reused_per_state
from caim.site.directory import public_entities
from caim.taxonomy.loader import get_taxonomy

FEED_SIZE = 100
COLUMNS = ("record_type", "slug", "title_en", "title_fr", "summary_en", "summary_fr", "first_published_at",
           "published_at")  # fmt: skip


class TextAtom1Feed(Atom1Feed):
    """Atom whose summaries are plain text, as the records' summaries are (Django marks them as HTML)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"]:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


@dataclass(frozen=True)
class Scope:
    """What one feed lists, in which language, at which address."""

    lang: str
    path: str
    record_type: str = ""  # "" for both types
    domain: str = ""
    entity: Entity | None = None
    # The items, read beforehand for many feeds at once (newest_naming); None: items() reads them.
    records: tuple[PublicRecord, ...] | None = None


def site_name(lang: str) -> str:
    return settings.CAIM_SITE_NAME_FR if lang == "fr" else settings.CAIM_SITE_NAME


def absolute(path: str) -> str:
    return settings.CAIM_SITE_URL + path


NEWEST_FIRST = ("-first_published_at", "-pk")


def _with_domains(records):
    """The columns an item shows, with the record's domains from its current version document."""
    domains = KeyTransform("domains", KeyTransform("taxonomy", "version__document"))
    return records.annotate(feed_domains=domains).only(*COLUMNS)


def newest_naming(entity_ids) -> dict[int, tuple[PublicRecord, ...]]:
    """Entity id -> the items of its feed (Scope.records), for many entities in two queries (the static
    export)."""
    roles = PublicEntityRole.objects.filter(entity_id__in=entity_ids)
    naming: dict[int, set[int]] = defaultdict(set)  # record id -> the entities it names
    for entity_id, record_id in roles.values_list("entity_id", "record_id"):
        naming[record_id].add(entity_id)
    records = PublicRecord.objects.listed().filter(pk__in=roles.values("record_id"))
    out: dict[int, list[PublicRecord]] = {entity_id: [] for entity_id in entity_ids}
    for public in _with_domains(records).order_by(*NEWEST_FIRST):  # each entity's list keeps this order
        for entity_id in naming[public.pk]:
            if len(out[entity_id]) < FEED_SIZE:
                out[entity_id].append(public)
    return {entity_id: tuple(items) for entity_id, items in out.items()}


class RecordFeed(Feed):
    """All listed records; subclasses narrow the scope."""

    feed_type = TextAtom1Feed
    record_type = ""

    @method_decorator(require_safe)
    @method_decorator(reused_per_state)  # feed readers ask often: kept per state, 304s from one query
    def __call__(self, request, *args, **kwargs):
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request, slug: str | None = None) -> Scope:
        return Scope(lang=page_language(), path=request.path, record_type=self.record_type)

    def title(self, scope: Scope) -> str:
        return _("%(site_name)s: all records") % {"site_name": site_name(scope.lang)}

    def subtitle(self, scope: Scope) -> str:
        return _("Public records of AI incidents and hazards, with sources, in English and French.")

    def link(self, scope: Scope) -> str:
        return absolute(reverse("home"))

    def feed_url(self, scope: Scope) -> str:
        return absolute(scope.path)

    def feed_guid(self, scope: Scope) -> str:
        return absolute(scope.path)

    def feed_copyright(self, scope: Scope) -> str:
        return _("Records are published under the Creative Commons Attribution 4.0 licence (CC BY 4.0).")

    def items(self, scope: Scope):
        if scope.records is not None:
            return [(public, scope.lang) for public in scope.records]
        records = PublicRecord.objects.listed()
        if scope.record_type:
            records = records.filter(record_type=scope.record_type)
        if scope.domain:
            records = records.filter(
                Exists(
                    PublicTag.objects.filter(record=OuterRef("pk"), vocabulary="domain", slug=scope.domain)
                )
            )
        if scope.entity is not None:
            # IN over the entity's roles (indexed), not EXISTS per listed record: the database then reads the
            # entity's records only instead of testing every record (26 ms -> 4 ms a feed at 10k records)
            records = records.filter(
                pk__in=PublicEntityRole.objects.filter(entity=scope.entity).values("record_id")
            )
        lang = scope.lang
        return [(public, lang) for public in _with_domains(records).order_by(*NEWEST_FIRST)[:FEED_SIZE]]

    def item_title(self, item) -> str:
        public, lang = item
        return public.title(lang)

    def item_description(self, item) -> str:
        public, lang = item
        text = public.summary_fr if lang == "fr" else public.summary_en
        return text or public.summary_en or public.summary_fr

    def item_link(self, item) -> str:
        public, lang = item
        return absolute(public.url(lang))

    def item_guid(self, item) -> str:
        return self.item_link(item)

    def item_pubdate(self, item):
        return item[0].first_published_at

    def item_updateddate(self, item):
        return item[0].published_at

    def item_categories(self, item) -> list[str]:
        """The record type's label, then its domains' labels in the order of the vocabulary."""
        public, lang = item
        tax = get_taxonomy()
        order = tax["domain"].slugs()
        domains = [slug for slug in order if slug in (public.feed_domains or [])]
        return [tax.label("record_type", public.record_type, lang)] + [
            tax.label("domain", slug, lang) for slug in domains
        ]


class IncidentFeed(RecordFeed):
    record_type = "incident"

    def title(self, scope: Scope) -> str:
        return _("%(site_name)s: incidents") % {"site_name": site_name(scope.lang)}

    def link(self, scope: Scope) -> str:
        return absolute(reverse("incident_list"))


class HazardFeed(RecordFeed):
    record_type = "hazard"

    def title(self, scope: Scope) -> str:
        return _("%(site_name)s: hazards") % {"site_name": site_name(scope.lang)}

    def link(self, scope: Scope) -> str:
        return absolute(reverse("hazard_list"))


class DomainFeed(RecordFeed):
    def get_object(self, request, slug: str | None = None) -> Scope:
        if slug not in get_taxonomy()["domain"]:
            raise Http404
        return Scope(lang=page_language(), path=request.path, domain=slug)

    def title(self, scope: Scope) -> str:
        label = get_taxonomy().label("domain", scope.domain, scope.lang)
        return _("%(site_name)s: domain “%(domain)s”") % {"site_name": site_name(scope.lang), "domain": label}

    def link(self, scope: Scope) -> str:
        return absolute(f"{reverse('taxonomy')}#domain-{scope.domain}")


class EntityFeed(RecordFeed):
    def get_object(self, request, slug: str | None = None) -> Scope:
        entity = public_entities().filter(slug=slug).only("slug", "name", "name_fr").first()
        if entity is None:  # unknown, or named in no listed record
            raise Http404
        return Scope(lang=page_language(), path=request.path, entity=entity)

    def title(self, scope: Scope) -> str:
        return _("%(site_name)s: records naming %(entity)s") % {
            "site_name": site_name(scope.lang),
            "entity": name_in(scope.entity, scope.lang).text,
        }

    def link(self, scope: Scope) -> str:
        return absolute(reverse("entity_detail", args=[scope.entity.slug]))
