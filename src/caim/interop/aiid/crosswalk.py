"""The `aiid` crosswalks of taxonomy.yaml applied to AIID classifications: AIID values -> our values.

Reverse lookup (maps built once per run): a crosswalk entry means "a record with this value of ours usually
carries these AIID values"; each entry's `aiid_reason` in taxonomy.yaml says why. Only published
classifications of the namespaces our crosswalks name (CSETv1, MIT, GMF) are mapped. The rules:

1. Evidence. One of our values is mapped when an AIID value of a specific field (CSETv1 sector of deployment,
   harm distribution basis, harm level, involving minor, lives lost, injuries; MIT risk domain and subdomain;
   GMF technical failure) names it, and no other field of the same namespace that the value's crosswalk lists
   contradicts it (MIT domain "1. Discrimination and Toxicity" names discrimination_bias, but not when the MIT
   subdomain is "1.2. Exposure to toxic content", which its crosswalk does not list).
2. One value or none. An AIID value that, after rule 1, still names several values of one of our vocabularies
   is evidence for none of them: CSETv1 sector "information and communication" names media, social media and
   critical infrastructure, so alone it gives no domain (a wrong domain is worse than none).
3. Counts. CSETv1 "Lives Lost" and "Injuries" are numbers: 1 or more reads as the crosswalk value "1 or more",
   0 or blank says nothing (neither evidence nor contradiction).
4. Coarse fields. MIT entity, intent and timing only confirm or contradict; alone, they map a value only when
   they single it out in its vocabulary (with the current crosswalks they never do: "Post-deployment" names
   three lifecycle phases).
5. Export only. A value marked `aiid_export_only: true` is never mapped on import: its AIID values are worth
   suggesting to AIID editors but too weak as evidence (MIT 2.1 holds copyright cases beside privacy ones).

A failure cause is never evidence of a harm type: MIT 7.3 ("lack of capability or robustness") gives the
pathway performance_failure, not physical_harm. AIID values that map to nothing stay in
`AiidIncident.unmapped`; `AiidIncident.provenance` keeps, for each mapped value, the AIID fields and values
that produced it. Severity has no AIID crosswalk; the one defensible rule is ours: lives lost (CSETv1
"Lives Lost" >= 1) is `critical` by our definition.
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
    "provenance",
)
# Numeric CSETv1 fields: a count of 1 or more reads as this crosswalk value; 0 or blank says nothing.
COUNT_FIELDS = frozenset({"cset_v1_lives_lost", "cset_v1_injuries"})
ONE_OR_MORE = "1 or more"
FIELD_ORDER = {f: i for i, f in enumerate(CLASSIFICATION_FIELDS)}


@dataclass(frozen=True)
class Mapping:
    """One incident's AIID values mapped: our slugs, the AIID values left over, and why each slug was given."""

    mapped: dict[str, list[str]]  # vocabulary -> our slugs, in taxonomy order
    unmapped: dict[str, list[str]]  # crosswalk field -> AIID values that map to none of ours
    provenance: dict[str, dict[str, list[list[str]]]]  # vocabulary -> slug -> [[crosswalk field, AIID value]]


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
                # `aiid_export_only: true`: the AIID values are suggested on export but are no evidence on import
                mapping = {} if "aiid" in value.export_only else value.crosswalk.get("aiid") or {}
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
        result = self.explain(observed)
        return result.mapped, result.unmapped

    def explain(self, observed: dict[str, list[str]]) -> Mapping:
        """The mapping of one incident's AIID values ({crosswalk field: [values]}), with its provenance."""
        seen = {f: {v.casefold() for v in values} for f, values in observed.items()}
        spelled = {(f, v.casefold()): v for f, values in observed.items() for v in values}
        evidence: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        used: set[tuple[str, str]] = set()
        for f, values in seen.items():
            if f in COARSE_FIELDS:
                continue
            namespace = CLASSIFICATION_FIELDS[f][0]
            for v in values:
                named: dict[str, list[tuple[str, str]]] = defaultdict(list)
                for key in self.reverse.get(f, {}).get(v, ()):
                    if self._agrees(key, namespace, seen):
                        named[key[0]].append(key)
                for keys in named.values():
                    if len(keys) == 1:  # rule 2: a value naming several of one vocabulary names none
                        evidence[keys[0]].append((f, v))
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
            for keys in singled.values():
                if len(keys) == 1:
                    own = [f for f in self.targets[keys[0]] if f in COARSE_FIELDS]
                    evidence[keys[0]] += [
                        (f, v) for f in own for v in seen[f] if v in self.targets[keys[0]][f]
                    ]
        for key in evidence:
            for f, values in self.targets[key].items():
                used |= {(f, v) for v in seen.get(f, set()) if v in values}
        mapped: dict[str, list[str]] = defaultdict(list)
        provenance: dict[str, dict[str, list[list[str]]]] = defaultdict(dict)
        for key in sorted(evidence, key=self.order.__getitem__):
            mapped[key[0]].append(key[1])
            pairs = sorted(set(evidence[key]), key=lambda p: (FIELD_ORDER[p[0]], p[1]))
            provenance[key[0]][key[1]] = [[f, spelled[(f, v)]] for f, v in pairs]
        unmapped = {
            f: [v for v in values if (f, v.casefold()) not in used] for f, values in sorted(observed.items())
        }
        return Mapping(
            mapped=dict(mapped),
            unmapped={f: values for f, values in unmapped.items() if values},
            provenance=dict(provenance),
        )


def lives_lost(classification: ClassificationRow) -> int:
    return _positive_int(classification.values.get("Lives Lost")) or 0


def observed_values(rows: list[ClassificationRow]) -> dict[str, list[str]]:
    """{crosswalk field: [AIID values]} of the rows, counts read as ONE_OR_MORE (rule 3; zero and blank left out).

    A count keeps its own spelling for the provenance: "Lives Lost" 144 is observed as ONE_OR_MORE and shown
    as "144" (see `count_spellings`).
    """
    observed: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        for f, values in r.parsed.items():
            if f in COUNT_FIELDS:
                values = [ONE_OR_MORE] if any(_positive_int(v) for v in values) else []
            observed[f] += [v for v in values if v not in observed[f]]
    return {f: values for f, values in observed.items() if values}


def count_spellings(rows: list[ClassificationRow]) -> dict[str, str]:
    """{count field: the count as AIID wrote it} for the counts of 1 or more (the first row that has one)."""
    out: dict[str, str] = {}
    for r in rows:
        for f, values in r.parsed.items():
            if f in COUNT_FIELDS and f not in out:
                counted = [v for v in values if _positive_int(v)]
                if counted:
                    out[f] = counted[0]
    return out


def map_incident(crosswalk: Crosswalk, rows: list[ClassificationRow]) -> tuple[dict, set[int]]:
    """The mapped columns of an AiidIncident, and the row numbers (ids) of the classifications that mapped."""
    usable = [r for r in rows if r.published and r.namespace in MAPPED_NAMESPACES]
    result = crosswalk.explain(observed_values(usable))
    mapped, unmapped = result.mapped, result.unmapped
    counts = count_spellings(usable)
    provenance = {
        vocabulary: {
            slug: [[f, counts.get(f, v) if f in COUNT_FIELDS else v] for f, v in pairs]
            for slug, pairs in slugs.items()
        }
        for vocabulary, slugs in result.provenance.items()
    }
    record_types = mapped.get("record_type", [])
    if len(record_types) != 1:
        provenance.pop("record_type", None)
    lost = [r for r in usable if r.namespace == "CSETv1" and lives_lost(r)]
    if lost:
        provenance["severity"] = {"critical": [["cset_v1_lives_lost", str(lives_lost(lost[0]))]]}
    columns = {
        "record_type": record_types[0] if len(record_types) == 1 else "",
        "severity": "critical" if lost else "",
        **{
            column: mapped.get(vocab, [])
            for vocab, column in MAPPED_VOCABULARIES.items()
            if vocab != "record_type"
        },
        "unmapped": unmapped,
        "provenance": provenance,
    }
    contributing = {
        id(r)
        for r in usable
        if any(v not in unmapped.get(f, ()) for f, values in observed_values([r]).items() for v in values)
        or (r.namespace == "CSETv1" and lives_lost(r))
    }
    return columns, contributing
