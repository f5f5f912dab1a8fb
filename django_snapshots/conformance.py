"""Runtime protocol checks that compare signatures, not just member names.

``isinstance(obj, SnapshotStorage)`` only checks that the protocol's names exist on
``obj``: a backend whose ``write`` takes ``(self, key, data)``, or whose ``exists``
is the integer ``5``, passes. :func:`check_conformance` compares every member::

    problems = check_conformance(MyBackend(), SnapshotStorage)
    assert not problems, problems

    assert_conforms(MyBackend(), AdvancedSnapshotStorage)   # raises TypeError

It reports, for each member of the protocol: a missing member; a method that is not
callable; ``async def`` where the protocol has a plain method or the reverse; and
parameters that differ in name, kind (positional-only, keyword-only, ...), number,
or in having a default. Where both annotations resolve to plain classes (``str``,
``bool``, ``Path``, ...) or generics of them (``list[str]``), it also compares them:
a parameter must accept what the protocol passes, a return value must be what the
protocol promises. Data members (``artifact_type: str``) must exist and, for plain
classes, hold an instance of the annotated type.

The settings validation runs this check on every configured backend and connector.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any, Final

import typing_extensions

__all__ = ["assert_conforms", "check_conformance"]

_MISSING: Final = object()
_POSITIONAL: Final = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _describe(obj: object) -> str:
    """Return a short name for ``obj`` or its class, for messages."""
    kind = obj if isinstance(obj, type) else type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"


def _type_hints(function: object) -> dict[str, Any]:
    """Return the resolved annotations of ``function``, or ``{}`` if they do not resolve."""
    target = inspect.unwrap(function) if callable(function) else function
    try:
        return typing.get_type_hints(target)
    except Exception:  # noqa: BLE001 - unresolvable forward references, exotic objects
        return {}


def _is_async(function: object) -> bool:
    """Return True if calling ``function`` returns a coroutine."""
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__call__", None)  # noqa: B004 - the call method of a callable object
    )


def _signature(function: object, drop_first: bool) -> inspect.Signature | None:
    """Return ``function``'s signature, without ``self`` when ``drop_first``."""
    try:
        signature = inspect.signature(function)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    except (TypeError, ValueError):
        return None
    if drop_first:
        parameters = list(signature.parameters.values())[1:]
        signature = signature.replace(parameters=parameters)
    return signature


def _compatible(declared: object, actual: object, variance: str) -> bool | None:
    """Compare two resolved annotations; None when they cannot be compared safely.

    ``variance`` is ``"return"`` (``actual`` must be a subtype of ``declared``) or
    ``"parameter"`` (``actual`` must accept ``declared``).
    """
    if declared is Any or actual is Any:
        return None
    if variance == "parameter":
        declared, actual = actual, declared
    # Now "actual" must be a subtype of "declared" (None is resolved to NoneType).
    declared_origin = typing.get_origin(declared)
    actual_origin = typing.get_origin(actual)
    if declared_origin is None and actual_origin is None:
        return _subclass(actual, declared)
    if declared_origin is None or actual_origin is None:
        # A plain class against a generic: compare the class with the origin.
        return _subclass(actual_origin or actual, declared_origin or declared)
    related = _subclass(actual_origin, declared_origin)
    if related is not True:
        return related
    declared_args = typing.get_args(declared)
    actual_args = typing.get_args(actual)
    if actual_origin is declared_origin and len(declared_args) == len(actual_args):
        for declared_arg, actual_arg in zip(declared_args, actual_args, strict=True):
            # Variance differs by container; only flag unrelated plain classes.
            if _plain(declared_arg) and _plain(actual_arg):
                if (
                    _subclass(actual_arg, declared_arg) is False
                    and _subclass(declared_arg, actual_arg) is False
                ):
                    return False
    return True


def _plain(annotation: object) -> bool:
    """Return True for a plain runtime class (not ``Any``, not a generic alias)."""
    return (
        isinstance(annotation, type)
        and annotation is not Any
        and typing.get_origin(annotation) is None
    )


def _subclass(actual: object, declared: object) -> bool | None:
    """Return whether class ``actual`` is a subclass of ``declared``; None if unknowable.

    Classes of the ``typing`` module (``IO``, ``BinaryIO``) and protocols are not
    compared: at runtime ``io.BufferedReader`` is no subclass of ``typing.IO``,
    although type checkers treat it as one.
    """
    if not (_plain(actual) and _plain(declared)):
        return None
    assert isinstance(actual, type) and isinstance(declared, type)
    if declared.__module__ == "typing" or getattr(declared, "_is_protocol", False):
        return None
    return issubclass(actual, declared)


def _type_name(annotation: object) -> str:
    """Return a readable spelling of an annotation."""
    if annotation is type(None):
        return "None"
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return annotation.__qualname__
    return repr(annotation).replace("typing.", "")


def _lacks_default(declared: inspect.Parameter, actual: inspect.Parameter) -> bool:
    """Return True if the protocol gives ``declared`` a default but ``actual`` has none."""
    empty = inspect.Parameter.empty
    return declared.default is not empty and actual.default is empty


def _compare_parameters(
    name: str,
    declared: inspect.Signature,
    actual: inspect.Signature,
    problems: list[str],
) -> None:
    """Append every way ``actual``'s parameters differ from ``declared``'s."""
    kinds = inspect.Parameter
    wanted = list(declared.parameters.values())
    given = list(actual.parameters.values())
    var_positional = any(p.kind is kinds.VAR_POSITIONAL for p in given)
    var_keyword = any(p.kind is kinds.VAR_KEYWORD for p in given)
    positional_given = [p for p in given if p.kind in _POSITIONAL]
    by_name = {p.name: p for p in given}
    used: set[str] = set()
    position = 0
    for parameter in wanted:
        if parameter.kind in _POSITIONAL:
            if position < len(positional_given):
                match = positional_given[position]
                used.add(match.name)
                if parameter.kind is kinds.POSITIONAL_OR_KEYWORD and match.name != parameter.name:
                    problems.append(
                        f"{name}: parameter {position + 1} is named {match.name!r}, "
                        f"the protocol names it {parameter.name!r}"
                    )
                elif (
                    parameter.kind is kinds.POSITIONAL_OR_KEYWORD
                    and match.kind is kinds.POSITIONAL_ONLY
                ):
                    problems.append(
                        f"{name}: parameter {parameter.name!r} is positional-only, "
                        "the protocol allows passing it by keyword"
                    )
                if _lacks_default(parameter, match):
                    problems.append(
                        f"{name}: parameter {parameter.name!r} needs a default, as in the protocol"
                    )
            elif not var_positional:
                problems.append(
                    f"{name}: takes {len(positional_given)} positional parameter(s), "
                    f"the protocol passes {parameter.name!r} as parameter {position + 1}"
                )
            position += 1
        elif parameter.kind is kinds.KEYWORD_ONLY:
            keyword = by_name.get(parameter.name)
            if keyword is None or keyword.kind is kinds.POSITIONAL_ONLY:
                if not var_keyword:
                    problems.append(f"{name}: missing keyword parameter {parameter.name!r}")
            else:
                used.add(keyword.name)
                if _lacks_default(parameter, keyword):
                    problems.append(
                        f"{name}: parameter {parameter.name!r} needs a default, as in the protocol"
                    )
        elif parameter.kind is kinds.VAR_POSITIONAL and not var_positional:
            problems.append(f"{name}: must accept *{parameter.name}, as the protocol does")
        elif parameter.kind is kinds.VAR_KEYWORD and not var_keyword:
            problems.append(f"{name}: must accept **{parameter.name}, as the protocol does")
    for extra in given:
        if (
            extra.name not in used
            and extra.kind not in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD)
            and extra.default is inspect.Parameter.empty
        ):
            problems.append(
                f"{name}: requires parameter {extra.name!r}, which the protocol never passes"
            )


def _compare_annotations(
    name: str,
    declared_function: object,
    actual_function: object,
    declared: inspect.Signature,
    actual: inspect.Signature,
    problems: list[str],
) -> None:
    """Append annotation mismatches between two methods, where both resolve."""
    declared_hints = _type_hints(declared_function)
    actual_hints = _type_hints(actual_function)
    if not declared_hints or not actual_hints:
        return
    actual_positional = [p for p in actual.parameters.values() if p.kind in _POSITIONAL]
    position = 0
    for parameter in declared.parameters.values():
        match: inspect.Parameter | None
        if parameter.kind in _POSITIONAL:
            match = actual_positional[position] if position < len(actual_positional) else None
            position += 1
        else:
            match = actual.parameters.get(parameter.name)
        if match is None or parameter.name not in declared_hints or match.name not in actual_hints:
            continue
        wanted = declared_hints[parameter.name]
        found = actual_hints[match.name]
        if _compatible(wanted, found, "parameter") is False:
            problems.append(
                f"{name}: parameter {match.name!r} is annotated {_type_name(found)}, "
                f"but the protocol passes {_type_name(wanted)}"
            )
    if "return" in declared_hints and "return" in actual_hints:
        wanted = declared_hints["return"]
        found = actual_hints["return"]
        if _compatible(wanted, found, "return") is False:
            problems.append(
                f"{name}: returns {_type_name(found)}, the protocol requires {_type_name(wanted)}"
            )


def _check_method(
    name: str,
    declared: Callable[..., object],
    actual: object,
    drop_first: bool,
    problems: list[str],
) -> None:
    """Append every problem of the implementation ``actual`` of method ``name``."""
    if not callable(actual):
        problems.append(f"{name}: is not callable (found {type(actual).__name__})")
        return
    if _is_async(declared) and not _is_async(actual):
        problems.append(f"{name}: must be a coroutine function (async def), found a plain one")
    elif not _is_async(declared) and _is_async(actual):
        problems.append(f"{name}: must be a plain method, found a coroutine function (async def)")
    declared_signature = _signature(declared, drop_first=True)
    actual_signature = _signature(actual, drop_first=drop_first)
    if declared_signature is None or actual_signature is None:
        return
    _compare_parameters(name, declared_signature, actual_signature, problems)
    _compare_annotations(name, declared, actual, declared_signature, actual_signature, problems)


def _check_data(name: str, annotation: object, actual: object, problems: list[str]) -> None:
    """Append a problem if the data member ``actual`` does not hold an ``annotation``."""
    expected = typing.get_origin(annotation) or annotation
    if not isinstance(expected, type) or expected is object:
        return
    if not getattr(expected, "_is_protocol", False):
        if not isinstance(actual, expected):
            problems.append(
                f"{name}: must be {_type_name(annotation)}, found {type(actual).__name__}"
            )


def check_conformance(obj: object, protocol: type) -> list[str]:
    """Return every way ``obj`` fails to implement ``protocol``; ``[]`` means it conforms.

    ``obj`` is normally an instance; a class is accepted too (its methods are then
    checked as unbound functions; a data member counts as present if the class body
    assigns or annotates it). Each problem is one line starting with the member's name.
    """
    if not typing_extensions.is_protocol(protocol):
        raise TypeError(f"{_describe(protocol)} is not a typing.Protocol class")
    is_class = isinstance(obj, type)
    protocol_hints = _type_hints_of_class(protocol)
    problems: list[str] = []
    for name in sorted(typing_extensions.get_protocol_members(protocol)):
        actual: object = getattr(obj, name, _MISSING)
        if actual is _MISSING:
            if not (isinstance(obj, type) and _declares(obj, name)):
                problems.append(f"{name}: missing")
            continue
        declared: object = getattr(protocol, name, _MISSING)
        if callable(declared) and not isinstance(declared, type):
            drop_first = is_class and not isinstance(
                inspect.getattr_static(obj, name, None), (staticmethod, classmethod)
            )
            _check_method(name, declared, actual, drop_first, problems)
        elif name in protocol_hints and not is_class:
            _check_data(name, protocol_hints[name], actual, problems)
    return problems


def _declares(kind: type, name: str) -> bool:
    """Return True if ``kind`` or a base annotates the attribute ``name`` in its body."""
    return any(name in getattr(base, "__annotations__", {}) for base in kind.__mro__)


def _type_hints_of_class(protocol: type) -> dict[str, Any]:
    """Return the resolved class-level annotations of ``protocol`` and its bases."""
    try:
        return typing.get_type_hints(protocol)
    except Exception:  # noqa: BLE001 - user code may raise anything
        return {}


def assert_conforms(obj: object, protocol: type) -> None:
    """Raise ``TypeError`` listing every problem unless ``obj`` implements ``protocol``.

    The message is one line: ``"<class> does not conform to <Protocol>: <problem>; ..."``.
    """
    problems = check_conformance(obj, protocol)
    if problems:
        raise TypeError(
            f"{_describe(obj)} does not conform to {protocol.__qualname__}: " + "; ".join(problems)
        )
