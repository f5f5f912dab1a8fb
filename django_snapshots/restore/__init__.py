"""The restore app: adds ``snapshots restore``; leave it out to forbid CLI restores."""
