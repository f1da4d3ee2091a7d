"""The `aiid` crosswalks of taxonomy.yaml applied to AIID classifications: AIID values -> our values.

Reverse lookup (maps built once per run): a crosswalk entry means "a record with this value of ours usually
carries these AIID values". Only published classifications of the namespaces our crosswalks name (CSETv1,
MIT, GMF) are mapped. One of our values is mapped when an AIID value of a specific field (CSETv1 sector of
deployment, harm distribution basis, harm level, tangible harm; MIT risk domain and subdomain; GMF technical
failure) names it, and no other field of the same namespace that the value's crosswalk lists contradicts it
(e.g. MIT domain "1. Discrimination and Toxicity" names discrimination_bias, but not when the MIT subdomain is
"1.2. Exposure to toxic content", which its crosswalk does not list). The coarse MIT fields (entity, intent,
timing) only confirm or contradict; alone, they map a value only when they single it out in its vocabulary
(with the current crosswalks they never do: "Post-deployment" names three lifecycle phases). AIID values that
map to nothing stay in `AiidIncident.unmapped`. Severity has no AIID crosswalk; the one defensible rule is
ours: lives lost (CSETv1 "Lives Lost" ≥ 1) is `critical` by our definition.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from caim.interop.aiid.reader import CLASSIFICATION_FIELDS, ClassificationRow, _positive_int
from caim.taxonomy.loader import Taxonomy

# Crosswalk fields that are not classification fields (used for entity roles and exports).
OTHER_AIID_FIELDS = frozenset({"aiid_entity_role", "aiid_record_type"})
COARSE_FIELDS = frozenset({"mit_entity", "mit_intent", "mit_timing"})
MAPPED_NAMESPACES = frozenset(ns for ns, _columns in CLASSIFICATION_FIELDS.values())
# Values that say "cannot tell": they neither confirm nor contradict a mapping.
NO_INFORMATION = frozenset({"other", "unclear"})
# Our vocabularies filled by the crosswalks -> the AiidIncident column.
MAPPED_VOCABULARIES = {
    "record_type": "record_type",
    "domain": "domains",
    "harm_type": "harm_types",
    "ai_pathway": "ai_pathways",
    "lifecycle_phase": "lifecycle_phases",
}
MAPPED_FIELDS = (
    "record_type",
    "severity",
    "domains",
    "harm_types",
    "ai_pathways",
    "lifecycle_phases",
    "unmapped",
)


@dataclass(frozen=True)
class Crosswalk:
    """The `aiid` crosswalks of taxonomy.yaml, reversed: AIID values -> our values."""

    targets: dict[
        tuple[str, str], dict[str, frozenset[str]]
    ]  # (vocabulary, slug) -> {field: casefolded values}
    reverse: dict[
        str, dict[str, tuple[tuple[str, str], ...]]
    ]  # field -> casefolded value -> (vocabulary, slug)s
    order: dict[tuple[str, str], int]  # taxonomy order
    entity_roles: dict[str, str]  # AIID entity column -> our entity_role

    @classmethod
    def from_taxonomy(cls, tax: Taxonomy) -> Crosswalk:
        targets: dict[tuple[str, str], dict[str, frozenset[str]]] = {}
        reverse: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
        order: dict[tuple[str, str], int] = {}
        for vocabulary in MAPPED_VOCABULARIES:
            for value in tax[vocabulary].values:
                key = (vocabulary, value.slug)
                order[key] = len(order)
                mapping = value.crosswalk.get("aiid") or {}
                fields = {
                    f: frozenset(v.casefold() for v in values)
                    for f, values in mapping.items()
                    if f in CLASSIFICATION_FIELDS
                }
                if fields:
                    targets[key] = fields
                for f, values in fields.items():
                    for v in values:
                        reverse[f][v].append(key)
        roles = {
            target: value.slug
            for value in tax["entity_role"].values
            for target in (value.crosswalk.get("aiid") or {}).get("aiid_entity_role", [])
        }
        return cls(
            targets=targets,
            reverse={f: {v: tuple(keys) for v, keys in by_value.items()} for f, by_value in reverse.items()},
            order=order,
            entity_roles=roles,
        )

    def _agrees(self, key: tuple[str, str], namespace: str, seen: dict[str, set[str]]) -> bool:
        """No field of `namespace` listed by the value's crosswalk holds only other (informative) values."""
        for f, values in self.targets[key].items():
            if CLASSIFICATION_FIELDS[f][0] != namespace:
                continue
            informative = seen.get(f, set()) - NO_INFORMATION
            if informative and not informative & values:
                return False
        return True

    def map(self, observed: dict[str, list[str]]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """({vocabulary: [our slugs]}, {field: [AIID values mapped to nothing]}) for one incident's AIID values."""
        seen = {f: {v.casefold() for v in values} for f, values in observed.items()}
        mapped: set[tuple[str, str]] = set()
        used: set[tuple[str, str]] = set()
        for f, values in seen.items():
            if f in COARSE_FIELDS:
                continue
            for v in values:
                for key in self.reverse.get(f, {}).get(v, ()):
                    if self._agrees(key, CLASSIFICATION_FIELDS[f][0], seen):
                        mapped.add(key)
                        used.add((f, v))
        for namespace in {CLASSIFICATION_FIELDS[f][0] for f in seen}:
            singled: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for key, fields in self.targets.items():
                own = {f for f in fields if CLASSIFICATION_FIELDS[f][0] == namespace}
                if (
                    own
                    and own <= COARSE_FIELDS
                    and all(seen.get(f, set()) - NO_INFORMATION for f in own)
                    and self._agrees(key, namespace, seen)
                ):
                    singled[key[0]].append(key)
            mapped |= {keys[0] for keys in singled.values() if len(keys) == 1}
        for key in mapped:
            for f, values in self.targets[key].items():
                used |= {(f, v) for v in seen.get(f, set()) if v in values}
        result: dict[str, list[str]] = defaultdict(list)
        for key in sorted(mapped, key=self.order.__getitem__):
            result[key[0]].append(key[1])
        unmapped = {
            f: [v for v in values if (f, v.casefold()) not in used] for f, values in sorted(observed.items())
        }
        return dict(result), {f: values for f, values in unmapped.items() if values}


def lives_lost(classification: ClassificationRow) -> int:
    return _positive_int(classification.values.get("Lives Lost")) or 0


def map_incident(crosswalk: Crosswalk, rows: list[ClassificationRow]) -> tuple[dict, set[int]]:
    """The mapped columns of an AiidIncident, and the row numbers (ids) of the classifications that mapped."""
    observed: dict[str, list[str]] = defaultdict(list)
    usable = [r for r in rows if r.published and r.namespace in MAPPED_NAMESPACES]
    for r in usable:
        for f, values in r.parsed.items():
            observed[f] += [v for v in values if v not in observed[f]]
    mapped, unmapped = crosswalk.map(observed)
    record_types = mapped.get("record_type", [])
    columns = {
        "record_type": record_types[0] if len(record_types) == 1 else "",
        "severity": "critical" if any(lives_lost(r) for r in usable if r.namespace == "CSETv1") else "",
        **{
            column: mapped.get(vocab, [])
            for vocab, column in MAPPED_VOCABULARIES.items()
            if vocab != "record_type"
        },
        "unmapped": unmapped,
    }
    contributing = {
        id(r)
        for r in usable
        if any(v not in unmapped.get(f, ()) for f, values in r.parsed.items() for v in values)
        or (r.namespace == "CSETv1" and lives_lost(r))
    }
    return columns, contributing
