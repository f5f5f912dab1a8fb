"""Seed the example shop with a few related rows so a backup has real data."""

from __future__ import annotations

from datetime import datetime, timezone

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CUSTOMERS = [("Ada Lovelace", "ada@example.com"), ("Zoë Ångström", "zoe@example.com")]


def seed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Create two customers with two orders each in the migrated database."""
    alias = schema_editor.connection.alias
    customer_model = apps.get_model("shop", "Customer")
    order_model = apps.get_model("shop", "Order")
    for index, (name, email) in enumerate(CUSTOMERS):
        customer = customer_model.objects.using(alias).create(name=name, email=email)
        for cents in (1250 * (index + 1), 999):
            order_model.objects.using(alias).create(
                customer=customer,
                total_cents=cents,
                placed_at=datetime(2026, 1, index + 1, 12, tzinfo=timezone.utc),
            )


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
