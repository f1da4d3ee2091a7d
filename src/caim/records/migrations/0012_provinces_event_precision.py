"""Provinces and territories of a record's Canada nexus (a tag field), and the precision of the public layer's
event date (the lists' date-range filter reads it): filled from each public record's current version."""

from django.db import migrations, models


def fill_event_precision(apps, schema_editor):
    PublicRecord = apps.get_model("records", "PublicRecord")
    changed = []
    for public in PublicRecord.objects.select_related("version").only(
        "pk", "record_type", "version__document"
    ):
        doc = public.version.document or {}
        key = "occurred_precision" if public.record_type == "incident" else "identified_precision"
        public.event_precision = doc.get(key) or "day"
        changed.append(public)
    PublicRecord.objects.bulk_update(changed, ["event_precision"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0011_public_change_log"),
    ]

    operations = [
        migrations.AddField(
            model_name="record",
            name="provinces",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Provinces and territories of the Canada nexus (vocabulary province).",
            ),
        ),
        migrations.AddField(
            model_name="publicrecord",
            name="event_precision",
            field=models.CharField(
                choices=[
                    ("day", "Day"),
                    ("month", "Month"),
                    ("year", "Year"),
                    ("approximate", "Approximate"),
                ],
                default="day",
                help_text="The precision of event_date.",
                max_length=12,
            ),
        ),
        migrations.RunPython(fill_event_precision, migrations.RunPython.noop),
    ]
