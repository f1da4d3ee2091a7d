"""A lead whose draft record is published is published with it (SPEC §6.1: "published as record X")."""

from django.dispatch import receiver

from caim.records.signals import public_record_changed, public_records_added


@receiver(public_record_changed, dispatch_uid="caim.intake.published")
def record_published(sender, public, **kwargs):
    if not public.withdrawn:
        from caim.intake.actions import mark_published

        mark_published([public.pk])


@receiver(public_records_added, dispatch_uid="caim.intake.published_batch")
def records_published(sender, publics, **kwargs):
    from caim.intake.actions import mark_published

    mark_published([p.pk for p in publics if not p.withdrawn])
