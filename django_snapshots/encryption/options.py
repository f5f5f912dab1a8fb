"""Parse and cross-check ``AgeEncryption``'s public-key mode options.

Every mistake raises ``ImproperlyConfigured`` naming the option, so it surfaces as
``snapshots.E006`` in Django's system checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, cast

import pyrage
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.exceptions import ImproperlyConfigured

from django_snapshots.encryption import keys
from django_snapshots.encryption.sealing import Ed25519Signer

__all__ = ["PublicKeyOptions", "option_error", "parse_public_key_options"]

_T = TypeVar("_T")
_R = TypeVar("_R")


def option_error(option: str, message: str) -> ImproperlyConfigured:
    """Return the configuration error of AgeEncryption option ``option``."""
    return ImproperlyConfigured(f"AgeEncryption option {option!r}: {message}")


def _strings(option: str, value: object) -> list[str]:
    """Return ``value`` as a non-empty list of strings, or raise naming ``option``."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise option_error(option, f"must be a list of strings, got {type(value).__name__}")
    items: list[object] = list(value)  # pyright: ignore[reportUnknownArgumentType]
    if not items or not all(isinstance(item, str) and item.strip() for item in items):
        raise option_error(option, "must be a non-empty list of non-empty strings")
    return [str(item) for item in items]


def _parsed(option: str, parse: Callable[[_T], _R], value: _T) -> _R:
    """Return ``parse(value)``; a ``ValueError`` becomes a configuration error naming ``option``."""
    try:
        return parse(value)
    except ValueError as error:
        raise option_error(option, str(error)) from None


@dataclass
class PublicKeyOptions:
    """The parsed keys of public-key mode; empty fields mean the option was not given."""

    recipient_texts: list[str] = field(default_factory=list[str])
    """The ``age1…`` recipients as configured."""
    recipients: list[pyrage.x25519.Recipient] = field(default_factory=list[pyrage.x25519.Recipient])
    """The recipients artifacts are encrypted to."""
    identities: list[pyrage.x25519.Identity] = field(default_factory=list[pyrage.x25519.Identity])
    """The identities that decrypt (restore hosts)."""
    signer: Ed25519Signer | None = None
    """Signs manifests (backup hosts)."""
    signing_seed: bytes = b""
    """The signing key's seed, from which the content key is derived."""
    verify_keys: list[Ed25519PublicKey] = field(default_factory=list[Ed25519PublicKey])
    """Keys whose manifest signatures are accepted (the signing key's own included)."""


def _identity_file(identity_file: str | Path) -> list[pyrage.x25519.Identity]:
    path = Path(identity_file)
    try:
        lines = keys.parse_identity_file(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise option_error("identity_file", f"cannot read {str(path)!r}: {error}") from None
    if not lines:
        raise option_error("identity_file", f"{str(path)!r} holds no identity")
    return _parsed("identity_file", keys.parse_identities, lines)


def parse_public_key_options(
    recipients: Sequence[str] | None,
    identities: Sequence[str] | None,
    identity_file: str | Path | None,
    signing_key: str | None,
    verify_keys: Sequence[str] | None,
) -> PublicKeyOptions:
    """Parse and cross-check the public-key mode options; raise naming the wrong one."""
    parsed = PublicKeyOptions()
    if identities is not None and identity_file is not None:
        raise option_error("identity_file", "give 'identities' or 'identity_file', not both")
    if recipients is not None:
        parsed.recipient_texts = _strings("recipients", recipients)
        parsed.recipients = _parsed("recipients", keys.parse_recipients, parsed.recipient_texts)
        if signing_key is None:
            raise option_error("recipients", "needs 'signing_key': every manifest is signed")
    if signing_key is not None:
        text = cast("object", signing_key)  # settings may hand over any type
        if not isinstance(text, str):
            raise option_error("signing_key", "must be a string (SNAPSHOTS-SIGNING-KEY-…)")
        if recipients is None:
            raise option_error("signing_key", "needs 'recipients' (it signs backups)")
        private = _parsed("signing_key", keys.parse_signing_key, signing_key)
        parsed.signer = Ed25519Signer(private)
        parsed.signing_seed = keys.signing_seed(private)
        parsed.verify_keys.append(private.public_key())
    if identity_file is not None:
        parsed.identities = _identity_file(identity_file)
    if identities is not None:
        parsed.identities = _parsed(
            "identities", keys.parse_identities, _strings("identities", identities)
        )
    if verify_keys is not None:
        for verify_key in _strings("verify_keys", verify_keys):
            parsed.verify_keys.append(_parsed("verify_keys", keys.parse_verify_key, verify_key))
    if parsed.identities and not parsed.verify_keys:
        option = "identity_file" if identity_file is not None else "identities"
        raise option_error(
            option, "needs 'verify_keys' (or 'signing_key'): restores check signatures"
        )
    return parsed
