"""Tests of the ``snapshots`` command suite and its plugins."""
