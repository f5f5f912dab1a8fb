"""The boto3 side of :class:`~django_snapshots.storage.S3Backend` (private).

Owns importing boto3 (only when a backend is built, so the package imports without
it), building the client with timeouts and retries, and turning every botocore
failure into one :class:`~django_snapshots.SnapshotStorageError` line that names the
bucket and the endpoint.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NoReturn, cast

from django.core.exceptions import ImproperlyConfigured

from django_snapshots.exceptions import SnapshotStorageError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = [
    "ClientOptions",
    "ErrorContext",
    "error_code",
    "make_client",
    "no_continue_for_empty_bodies",
    "quick_timeout",
    "require_boto3",
]

_CREDENTIAL_CODES: Final = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
        "TokenRefreshRequired",
        "AuthorizationHeaderMalformed",
        "InvalidClientTokenId",
    }
)
_DENIED_CODES: Final = frozenset({"AccessDenied", "AllAccessDisabled", "403", "Forbidden"})
_MISSING_BUCKET_CODES: Final = frozenset({"NoSuchBucket"})


def require_boto3() -> None:
    """Raise ``ImproperlyConfigured`` naming the extra to install if boto3 is missing."""
    try:
        importlib.import_module("boto3")
    except ImportError:
        raise ImproperlyConfigured(
            "S3Backend needs boto3, which is not installed: pip install 'django-snapshots[s3]'"
        ) from None


@dataclass(frozen=True)
class ClientOptions:
    """Everything needed to build the S3 client."""

    endpoint_url: str | None
    region_name: str | None
    access_key: str | None
    secret_key: str | None
    security_token: str | None
    session_profile: str | None
    addressing_style: str | None
    verify: bool | str | None
    connect_timeout: float
    read_timeout: float
    max_attempts: int
    max_pool_connections: int


def quick_timeout(options: ClientOptions) -> float:
    """Return the read timeout of the first probe: at most 10 s."""
    return min(options.read_timeout, 10.0)


def _drop_empty_continue(request: Any, **_: Any) -> None:
    """Remove ``Expect: 100-continue`` from a request whose body is known to be empty."""
    from botocore.utils import determine_content_length

    if "Expect" in request.headers and determine_content_length(request.body) == 0:
        del request.headers["Expect"]


def no_continue_for_empty_bodies(client: S3Client) -> None:
    """Make ``client`` send no ``Expect: 100-continue`` with an empty body (idempotent).

    botocore asks for it on every PUT; RFC 9110 forbids it without a body, and some
    servers (SeaweedFS) then hold the connection's next request for 60 s.
    """
    client.meta.events.register(
        "before-sign.s3", _drop_empty_continue, unique_id="django-snapshots-empty-continue"
    )


def make_client(options: ClientOptions, *, quick: bool = False) -> S3Client:
    """Build an S3 client; ``quick`` gives short timeouts and one retry, for a first probe.

    ``max_attempts`` counts every attempt (the first one too); retries back off
    exponentially with jitter (botocore's *standard* mode: throttling, 5xx,
    timeouts and connection resets are retried).
    """
    import boto3.session
    from botocore.config import Config

    config: dict[str, Any] = {
        "connect_timeout": options.connect_timeout,
        "read_timeout": quick_timeout(options) if quick else options.read_timeout,
        "retries": {
            "mode": "standard",
            "total_max_attempts": 2 if quick else options.max_attempts,
        },
        "max_pool_connections": options.max_pool_connections,
        "user_agent_extra": "django-snapshots",
    }
    if options.addressing_style:
        config["s3"] = {"addressing_style": options.addressing_style}
    session = boto3.session.Session(
        aws_access_key_id=options.access_key,
        aws_secret_access_key=options.secret_key,
        aws_session_token=options.security_token,
        region_name=options.region_name,
        profile_name=options.session_profile,
    )
    client: S3Client = session.client(  # pyright: ignore[reportUnknownMemberType]
        "s3",
        endpoint_url=options.endpoint_url,
        verify=options.verify,
        config=Config(**config),
    )
    no_continue_for_empty_bodies(client)
    return client


def _field(error: BaseException, section: str, name: str) -> object:
    """Return ``error.response[section][name]`` of a botocore ``ClientError``, or None."""
    response: object = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    part: object = cast("dict[str, object]", response).get(section)
    if not isinstance(part, dict):
        return None
    return cast("dict[str, object]", part).get(name)


def error_code(error: BaseException) -> str:
    """Return the S3 error code of a botocore ``ClientError`` (``""`` for anything else)."""
    code = _field(error, "Error", "Code")
    return "" if code is None else str(code)


def _status(error: BaseException) -> int:
    """Return the HTTP status of a botocore ``ClientError`` (0 for anything else)."""
    status = _field(error, "ResponseMetadata", "HTTPStatusCode")
    return status if isinstance(status, int) else 0


def _one_line(text: object) -> str:
    """Return ``text`` with all whitespace runs (newlines too) collapsed to one space."""
    return " ".join(str(text).split())


class ErrorContext:
    """Turns botocore failures into :class:`SnapshotStorageError` naming bucket and endpoint."""

    def __init__(self, bucket: str, endpoint: str, read_timeout: float) -> None:
        """Name the ``bucket`` at ``endpoint`` in every message."""
        self.bucket: str = bucket
        self.endpoint: str = endpoint
        self.read_timeout: float = read_timeout

    def where(self) -> str:
        """Return ``S3 bucket 'b' at <endpoint>`` for messages."""
        return f"S3 bucket {self.bucket!r} at {self.endpoint}"

    def describe(self, error: BaseException) -> str:
        """Return what went wrong, in a few words, for any botocore exception."""
        from botocore import exceptions as boto

        if isinstance(error, boto.ClientError):
            code, status = error_code(error), _status(error)
            message = _one_line(_field(error, "Error", "Message") or "")
            if code in _CREDENTIAL_CODES:
                return f"the credentials were refused ({code}); check access_key and secret_key"
            if code in _MISSING_BUCKET_CODES:
                return "the bucket does not exist"
            if code in _DENIED_CODES or status == 403:
                return f"access denied ({code or status}); the credentials lack a permission"
            detail = f": {message}" if message else ""
            return f"the server answered {code or 'an error'} (HTTP {status}){detail}"
        if isinstance(error, boto.NoCredentialsError | boto.PartialCredentialsError):
            return (
                "no credentials found; set access_key and secret_key, or configure "
                "boto3's credential chain (environment, profile, instance role)"
            )
        if isinstance(error, boto.ProfileNotFound):
            return f"the AWS profile was not found ({_one_line(error)})"
        if isinstance(error, boto.ReadTimeoutError):
            return (
                f"the endpoint accepted the connection but did not answer within "
                f"{self.read_timeout:g} s"
            )
        if isinstance(error, boto.EndpointConnectionError | boto.ConnectionClosedError):
            return f"cannot reach the endpoint ({_one_line(error)})"
        if isinstance(error, boto.ConnectionError | boto.HTTPClientError):
            return f"the connection failed ({_one_line(error)})"
        return _one_line(error) or type(error).__name__

    def fail(self, error: BaseException, action: str) -> NoReturn:
        """Raise the :class:`SnapshotStorageError` for ``error`` during ``action``."""
        raise SnapshotStorageError(
            f"{self.where()}: {self.describe(error)} (while {action})"
        ) from error

    @contextlib.contextmanager
    def translating(self, action: str) -> Generator[None, None, None]:
        """Turn any botocore exception raised in the block into a one-line error."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError) as error:
            self.fail(error, action)
