"""Customers and their orders: related rows for round-trip tests."""

from __future__ import annotations

from datetime import datetime

from django.db import models


class Customer(models.Model):
    """A customer, with a non-ASCII friendly name field."""

    id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)
    name: models.CharField[str, str] = models.CharField(max_length=200, db_index=True)
    email: models.EmailField[str, str] = models.EmailField(unique=True)

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    """An order placed by a customer."""

    id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)
    customer: models.ForeignKey[Customer, Customer] = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="orders"
    )
    total_cents: models.IntegerField[int, int] = models.IntegerField()
    placed_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()

    def __str__(self) -> str:
        return f"order {self.id}"
