"""Typed records and their one JSON codec.

pcf's results, assessments and declarations are trees of frozen dataclasses ("records"). This
module turns a record into the JSON value of its documented format and back:

- :func:`record` makes a class a frozen, keyword-only dataclass;
- :func:`key` names a field whose JSON key is not a Python identifier (``class``, ``from``);
- :func:`to_json` gives dicts, lists and scalars, fields in declaration order;
- :func:`first_non_finite` finds a NaN or infinity in such a value (results are refused
  with one);
- :func:`from_json` builds a record from such a value, checking every key and the JSON kind of
  every value against the type hints, and raises :class:`CodecError` with the JSON path of the
  first fault (``$.assessment.findings[2].severity: expected a string, got 3``).

Supported hints: records, ``X | None``, unions of distinguishable JSON kinds, ``tuple[X, ...]``,
``dict[str, X]`` / ``Mapping[str, X]``, ``str``, ``bool``, ``int``, ``float`` (an integer is
accepted and kept as written, so a file reads back to the same JSON), ``Any`` (kept as is).
Sequences are tuples in records, so a record is immutable down to its mappings (plain dicts,
to be treated as read-only: they must pickle for ``pcf batch``'s worker processes).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import sys
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class _Absent:
    """Marker of a record field whose JSON key is left out (not written as null)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self):
        return (_Absent, ())


ABSENT: Any = _Absent()
"""Default of a field whose key some documents leave out: :func:`to_json` omits the key, and
:func:`from_json` leaves ``ABSENT`` when the key is missing. ``ABSENT`` is falsy."""


class CodecError(ValueError):
    """A JSON value does not have the shape of the record it should become.

    Attributes
    ----------
    path : str
        JSON path of the fault, e.g. ``$.totals.shares.fossil``.
    problem : str
        What is wrong there.
    """

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def record(cls: type[T]) -> type[T]:
    """Class decorator: a frozen, keyword-only dataclass (a node of a typed result tree)."""
    own_init = "__init__" in vars(cls) or hasattr(cls, "__post_init__")
    made = dataclasses.dataclass(frozen=True, kw_only=True)(cls)
    if not own_init and "__slots__" not in vars(made):
        _SET_BY_INIT.add(made)
    return made


#: Records whose ``__init__`` is the one dataclasses writes: it only sets each field (through
#: ``object.__setattr__``, frozen), so :func:`from_json` sets their ``__dict__`` at once instead
#: (0.6 -> 0.1 ms of CPU for the ~530 records of a 165 KB result).
_SET_BY_INIT: set[type] = set()


def key(name: str, **kwargs: Any) -> Any:
    """A dataclass field whose JSON key is ``name`` (for keys that are not identifiers)."""
    return dataclasses.field(metadata={"key": name}, **kwargs)


def json_key(f: dataclasses.Field) -> str:
    """The JSON key of a record field."""
    return f.metadata.get("key", f.name)


_SCALARS = frozenset((str, int, float, bool, type(None)))


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, json_key(f)) for f in dataclasses.fields(cls))


def to_json(value: Any) -> Any:
    """The JSON value (dicts, lists, str, numbers, bool, None) of a record tree.

    Fields equal to :data:`ABSENT` are left out; tuples become lists.
    """
    cls = type(value)
    if cls in _SCALARS:
        return value
    # scalars are their own JSON: taken without a call (a 165 KB result has ~4000 of them)
    if cls is tuple or cls is list:
        if _SCALARS.issuperset(map(type, value)):
            return list(value)
        return [to_json(v) for v in value]
    if cls is dict:
        if _SCALARS.issuperset(map(type, value.values())):
            return dict(value)
        return {k: to_json(v) for k, v in value.items()}
    if dataclasses.is_dataclass(cls):
        out = {}
        for name, json_name in _fields(cls):
            v = getattr(value, name)
            if v is not ABSENT:
                out[json_name] = v if type(v) in _SCALARS else to_json(v)
        return out
    if isinstance(value, Mapping):
        return {k: to_json(v) for k, v in value.items()}
    return value


def first_non_finite(value: Any, path: str = "$", process: Any = None) -> tuple[str, float, Any] | None:
    """The first number that is not finite (NaN, +-inf) in a JSON value, depth first.

    Parameters
    ----------
    value : Any
        JSON values (dicts, lists, str, numbers, bool, None); numpy scalars count as numbers.
    path : str
        JSON path of ``value``.
    process : Any
        The ``process`` key of the nearest enclosing object (for the caller's message).

    Returns
    -------
    tuple of (str, float, Any) or None
        ``(JSON path, the value, nearest enclosing "process" value)``, None when every number
        is finite.
    """
    found = _non_finite(value, process)
    if found is None:
        return None
    parts, number, process = found
    return path + "".join(reversed(parts)), number, process


def _non_finite(value: Any, process: Any) -> tuple[list[str], float, Any] | None:
    """:func:`first_non_finite` with the path built only for the number found (its parts innermost
    first): a 165 KB result is walked for every label issued."""
    cls = type(value)
    if cls is float:
        return None if math.isfinite(value) else ([], value, process)
    if cls is int:  # finite, unless beyond the float range (10**400 in a JSON file)
        if -sys.float_info.max <= value <= sys.float_info.max:
            return None
        return [], math.inf if value > 0 else -math.inf, process
    if cls is str or cls is bool or value is None:
        return None
    if isinstance(value, dict):
        process = value.get("process", process)
        for k, v in value.items():
            found = _non_finite(v, process)
            if found is not None:
                found[0].append(f".{k}")
                return found
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _non_finite(v, process)
            if found is not None:
                found[0].append(f"[{i}]")
                return found
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an integer beyond the float range (10**400 in a JSON file)
            return [], math.inf if value > 0 else -math.inf, process
        if not finite:
            return [], float(value), process
    return None


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@functools.cache
def _fitter(tp: Any):
    """Whether a value's JSON kind is the one the type hint ``tp`` is read from (for unions and
    scalars): a test chosen once per hint (it runs for every number decoded)."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return lambda value: True
    if tp is type(None):
        return lambda value: value is None
    if dataclasses.is_dataclass(tp) or origin in (dict, Mapping) or tp in (dict, Mapping):
        return lambda value: isinstance(value, dict)
    if origin is tuple or tp is tuple or origin is list:
        return lambda value: isinstance(value, (list, tuple))
    if tp is bool:
        return lambda value: isinstance(value, bool)
    if tp is int:
        return _is_int
    if tp is float:
        return _is_number
    if tp is str:
        return lambda value: isinstance(value, str)
    if origin is typing.Literal:
        allowed = typing.get_args(tp)
        return lambda value: value in allowed
    return lambda value: False


@functools.cache
def _as_is(tp: Any) -> frozenset:
    """The exact Python types (JSON scalars) whose values the decoder of ``tp`` returns unchanged
    whatever they are: checked inline (``type(value) in ...``) before calling it, as every number
    and string of a result is decoded (about 4000 in a 165 KB result). Records, sequences,
    mappings, ``Literal`` and ``Any`` have none."""
    if tp in (str, bool, int, type(None)):
        return frozenset((tp,))
    if tp is float:
        return frozenset((int, float))  # an integer is kept as written (module docstring)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        # an option that fits a scalar returns it unchanged (:func:`_decoder`), whichever comes first
        return frozenset().union(*(_as_is(option) for option in typing.get_args(tp)))
    return frozenset()


class _Fault(Exception):
    """Internal: a decoding fault, its path collected while it propagates (no cost on success)."""

    def __init__(self, problem: str):
        self.problem = problem
        self.parts: list[str] = []


def from_json(tp: type[T], value: Any, path: str = "$") -> T:
    """Build a value of type ``tp`` (a record, or any supported hint) from JSON data.

    Parameters
    ----------
    tp : type
        The record class or type hint.
    value : JSON value
        As :func:`json.loads` gives it.
    path : str
        JSON path of ``value``, for error messages.

    Raises
    ------
    CodecError
        A missing required key, an unknown key, or a value of the wrong JSON kind.
    """
    try:
        return _decoder(tp)(value)
    except _Fault as fault:
        raise CodecError(path + "".join(reversed(fault.parts)), fault.problem) from None


@functools.cache
def _decoder(tp: Any):
    """A function JSON value -> value of ``tp``, built once per type hint."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return lambda value: value
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        decoders = [(_fitter(option), _decoder(option)) for option in options]
        wanted = " or ".join(_describe(o) for o in options)
        as_is = _as_is(tp)

        def union(value):
            if type(value) in as_is:
                return value
            if value is None and type(None) in options:
                return None
            for fits, decode in decoders:
                if fits(value):
                    return decode(value)
            raise _Fault(f"expected {wanted}, got {_kind(value)}")
        return union
    if dataclasses.is_dataclass(tp):
        return _record_decoder(tp)
    if origin is tuple:
        args = typing.get_args(tp)
        item = _decoder(args[0] if args else Any)
        as_is = _as_is(args[0]) if args else frozenset()

        def sequence(value):
            if not isinstance(value, (list, tuple)):
                raise _Fault(f"expected a list, got {_kind(value)}")
            if as_is and as_is.issuperset(map(type, value)):  # a list of numbers: each as it is
                return tuple(value)
            out = []
            for i, v in enumerate(value):
                try:
                    out.append(item(v))
                except _Fault as fault:
                    fault.parts.append(f"[{i}]")
                    raise
            return tuple(out)
        return sequence
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        args = typing.get_args(tp)
        item = _decoder(args[1] if args else Any)
        as_is = _as_is(args[1]) if args else frozenset()

        def mapping(value):
            if not isinstance(value, dict):
                raise _Fault(f"expected an object, got {_kind(value)}")
            if as_is and as_is.issuperset(map(type, value.values())):
                return dict(value)
            out = {}
            for k, v in value.items():
                try:
                    out[k] = item(v)
                except _Fault as fault:
                    fault.parts.append(f".{k}")
                    raise
            return out
        return mapping
    wanted = _describe(tp)
    fits = _fitter(tp)
    as_is = _as_is(tp)

    def scalar(value):
        if type(value) in as_is:
            return value
        if not fits(value):
            raise _Fault(f"expected {wanted}, got {_kind(value)}")
        return value
    return scalar


def _record_decoder(cls: type):
    hints = _hints(cls)
    plan = []
    for f in dataclasses.fields(cls):
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        plan.append((json_key(f), f.name, _decoder(hints[f.name]), required, _as_is(hints[f.name]), f))
    direct = cls in _SET_BY_INIT and cls.__new__ is object.__new__ and all(f.init for f in dataclasses.fields(cls))
    known = {p[0] for p in plan}
    listing = ", ".join(p[0] for p in plan)

    def decode(value):
        if not isinstance(value, dict):
            raise _Fault(f"expected an object ({cls.__name__}), got {_kind(value)}")
        if not known.issuperset(value):
            for k in value:
                if k not in known:
                    fault = _Fault(f"unknown field of {cls.__name__}; known: {listing}")
                    fault.parts.append(f".{k}")
                    raise fault
        kwargs = {}
        for json_name, name, decode_field, required, as_is, f in plan:
            if json_name in value:
                field_value = value[json_name]
                if type(field_value) in as_is:  # a scalar the hint takes as it is: no call
                    kwargs[name] = field_value
                    continue
                try:
                    kwargs[name] = decode_field(field_value)
                except _Fault as fault:
                    fault.parts.append(f".{json_name}")
                    raise
            elif required:
                fault = _Fault(f"missing (required field of {cls.__name__})")
                fault.parts.append(f".{json_name}")
                raise fault
            elif direct:  # the default, as __init__ would set it
                kwargs[name] = f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
        if direct:  # what __init__ does (_SET_BY_INIT), fields in the same order
            made = object.__new__(cls)
            made.__dict__.update(kwargs)
            return made
        return cls(**kwargs)
    return decode


def _describe(tp: Any) -> str:
    if tp is type(None):
        return "null"
    if dataclasses.is_dataclass(tp):
        return f"an object ({tp.__name__})"
    origin = typing.get_origin(tp)
    if origin is tuple or tp is tuple:
        return "a list"
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        return "an object"
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(tp, str(tp))
