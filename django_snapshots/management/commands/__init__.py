"""The ``snapshots`` management command."""
