"""Shared fixtures of the test suite."""

from __future__ import annotations
