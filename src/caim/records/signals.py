"""Signals of the record core, for the outer ring (search index, caches) to follow public changes."""

from django.dispatch import Signal

# Sent inside the publish/withdraw transaction, after the public layer of a record was rewritten.
# Arguments: public (PublicRecord; public.withdrawn tells a withdrawal), document (the version's document),
# previous_entities and previous_systems (ids of those the record's previous public version named).
public_record_changed = Signal()

# Sent by batch publication, inside its transaction, once per batch. Argument: publics (list of PublicRecord).
public_records_added = Signal()

# Sent inside the merge transaction when an entity was merged into another. Arguments: loser_id (the id the
# merged entity had; its row is gone), survivor (Entity).
entities_merged = Signal()
