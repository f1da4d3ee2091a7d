"""Provinces and territories of a record's Canada nexus (a tag field)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0012_public_event_precision"),
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
    ]
