"""Create the table of the placeholder ``Snapshot`` model (kept identical to 0.1.0b1)."""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    """The app's only migration."""

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Snapshot",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
            ],
            options={
                "verbose_name": "snapshot",
                "verbose_name_plural": "snapshots",
                "default_permissions": ("view",),
            },
        ),
    ]
