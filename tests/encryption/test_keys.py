"""Key text forms, key generation, identity files and key derivation."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pyrage
import pytest

from django_snapshots.encryption import generate_identity, generate_signing_pair, keygen_text
from django_snapshots.encryption.keys import (
    SIGNING_KEY_PREFIX,
    VERIFY_KEY_PREFIX,
    derive_key,
    parse_identity_file,
    parse_signing_key,
    parse_verify_key,
    passphrase_master_key,
    recipient_fingerprint,
    verify_key_text,
)


def test_generated_identity_matches_its_recipient() -> None:
    """generate_identity returns an age identity and the recipient derived from it."""
    secret, recipient = generate_identity()
    assert secret.startswith("AGE-SECRET-KEY-1") and recipient.startswith("age1")
    assert str(pyrage.x25519.Identity.from_str(secret).to_public()) == recipient


def test_signing_pair_text_form_round_trips() -> None:
    """A signing key parses back, and its verify key is the generated public half."""
    secret, public = generate_signing_pair()
    assert re.fullmatch(re.escape(SIGNING_KEY_PREFIX) + r"[A-Za-z0-9_-]{48}", secret)
    assert re.fullmatch(re.escape(VERIFY_KEY_PREFIX) + r"[A-Za-z0-9_-]{48}", public)
    key = parse_signing_key(secret)
    assert verify_key_text(key) == public
    assert verify_key_text(parse_verify_key(public)) == public
    assert generate_signing_pair()[0] != secret


@pytest.mark.parametrize("position", [len(SIGNING_KEY_PREFIX), 30, -1])
def test_a_mistyped_signing_key_is_refused(position: int) -> None:
    """Changing one character of a signing key makes its checksum fail."""
    secret, _ = generate_signing_pair()
    chars = list(secret)
    chars[position] = "B" if chars[position] != "B" else "C"
    with pytest.raises(ValueError, match="damaged"):
        parse_signing_key("".join(chars))


def test_keys_of_the_other_kind_are_refused() -> None:
    """A verify key is not taken as a signing key, nor the reverse."""
    secret, public = generate_signing_pair()
    with pytest.raises(ValueError, match="must start with"):
        parse_signing_key(public)
    with pytest.raises(ValueError, match="must start with"):
        parse_verify_key(secret)


def test_keygen_text_is_an_age_keygen_style_file() -> None:
    """keygen_text prints the creation time, the public half and the secret, in that order."""
    now = datetime(2024, 5, 1, 12, 0, 0, 123, tzinfo=timezone.utc)
    text = keygen_text(now=now)
    lines = text.splitlines()
    assert lines[0] == "# created: 2024-05-01T12:00:00+00:00"
    assert lines[1].startswith("# public key: age1")
    assert parse_identity_file(text) == [lines[2]] and len(lines) == 3
    recipient = lines[1].removeprefix("# public key: ")
    assert str(pyrage.x25519.Identity.from_str(lines[2]).to_public()) == recipient
    signing = keygen_text(signing=True, now=now).splitlines()
    assert signing[1] == f"# verify key: {verify_key_text(parse_signing_key(signing[2]))}"


def test_identity_file_skips_comments_and_blank_lines() -> None:
    """Only identity lines of an identity file are returned, stripped."""
    text = "# a comment\n\n  AGE-SECRET-KEY-1AAA  \n#another\nAGE-SECRET-KEY-1BBB\n"
    assert parse_identity_file(text) == ["AGE-SECRET-KEY-1AAA", "AGE-SECRET-KEY-1BBB"]


def test_recipient_fingerprint_is_short_stable_and_distinct() -> None:
    """A fingerprint is the same for one recipient and differs between recipients."""
    _, first = generate_identity()
    _, second = generate_identity()
    assert recipient_fingerprint(first) == recipient_fingerprint(f" {first}\n")
    assert re.fullmatch(r"sha256:[0-9a-f]{16}", recipient_fingerprint(first))
    assert recipient_fingerprint(first) != recipient_fingerprint(second)


def test_passphrase_master_key_and_derived_keys_are_separated() -> None:
    """The master key depends on the passphrase; each purpose gets an unrelated key."""
    master = passphrase_master_key("one passphrase")
    assert master == passphrase_master_key("one passphrase")
    assert master != passphrase_master_key("one passphrasE")
    keys = {derive_key(master, purpose) for purpose in ("content-key", "manifest-mac", "x")}
    assert len(keys) == 3 and all(len(key) == 32 for key in keys)
    assert master not in keys
