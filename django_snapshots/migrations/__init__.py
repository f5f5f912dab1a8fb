"""Migrations of the core app (the admin's placeholder model)."""
