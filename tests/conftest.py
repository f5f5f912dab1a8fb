"""Shared fixtures of the test suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.s3server import S3Server, start_seaweedfs

# boto3 must never look for instance credentials on a non-loopback metadata address.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """Run one SeaweedFS S3 server on loopback for the session (see tests/s3server.py)."""
    with start_seaweedfs() as server:
        yield server
