"""The example shop app: a few related tables to back up."""

from __future__ import annotations

from django.apps import AppConfig


class ShopConfig(AppConfig):
    """Example app with foreign keys and indexes."""

    name = "tests.example.shop"
    label = "shop"
