"""A lead whose draft record is published is published with it (SPEC §6.1: "published as record X"); a published
record's texts are indexed for deduplication (SPEC §6.3), and forgotten when it is withdrawn."""

from django.dispatch import receiver

from caim.records.signals import public_record_changed, public_records_added


@receiver(public_record_changed, dispatch_uid="caim.intake.published")
def record_published(sender, public, document, **kwargs):
    from caim.intake.embedding import embed_record

    embed_record(public.pk, None if public.withdrawn else document, public.published_at)
    if not public.withdrawn:
        from caim.intake.actions import mark_published

        mark_published([public.pk])


@receiver(public_records_added, dispatch_uid="caim.intake.published_batch")
def records_published(sender, publics, **kwargs):
    """Batch publication (imports, synthetic records) leaves the texts to `caim embed`: thousands of records
    would hold the batch's transaction for minutes in the encoder."""
    from caim.intake.actions import mark_published

    mark_published([p.pk for p in publics if not p.withdrawn])
