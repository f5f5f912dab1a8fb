"""A test app whose ``flaky`` artifact type fails or hangs on restore when told to."""
