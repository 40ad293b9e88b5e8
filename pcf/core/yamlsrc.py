"""YAML 1.2 loading that remembers where every value came from, strictly and within bounds.

Model, PCR and scenario files are validated after loading; a validation error names a path of
keys and indices (``processes[2].inputs[0].amount``). :func:`load_yaml` returns the data
together with a :class:`LineMap` so that such a path can be turned back into ``file:line``.

The parser is ruamel.yaml (YAML 1.2, the core schema: ``NO`` and ``yes`` are strings,
``0151`` is the integer 151, ``0o17`` is octal), pure Python. pcf builds the plain data from
ruamel's node tree itself, so that it can refuse, with ``file:line``:

- a key written twice in one mapping (naming both lines; YAML 1.2 spec section 3.2.1.1:
  keys are unique);
- merge keys (``<<``, a YAML 1.1 type that 1.2 does not have) and explicit tags outside
  the core schema (``!!python/...``, local ``!tags``);
- recursive anchors (``&p [*p]``), nesting deeper than :data:`MAX_DEPTH`, more than
  :data:`MAX_VALUES` values (counted after expanding aliases, which stops "billion laughs"
  early), and files larger than :data:`MAX_CHARS` characters;
- integers of more than 4,300 digits (Python's limit for decimal conversion);
- a ``%YAML`` directive for another version than 1.2 (``%YAML 1.1`` would switch the parser to
  1.1's types, where ``no`` is false and ``1e-11`` draws a warning).
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from . import sources
from .errors import SourceError

Loc = tuple  # tuple of str (mapping keys) and int (sequence indices)

#: Largest file read [characters]: ~4 MB, 80 times the largest example model (50 KB); the pure
#: Python parser reads about 2 MB/s of comments or long strings.
MAX_CHARS = 4_000_000
#: Most values (scalars, lists, mappings) in one document, counted after expanding aliases
#: (the largest example model has 2,327; parsing costs ~50 µs a value, so at most ~2.5 s).
MAX_VALUES = 50_000
#: Deepest nesting of lists and mappings (the example models nest 6 deep).
MAX_DEPTH = 64

_CORE = "tag:yaml.org,2002:"
_AS_TEXT = {_CORE + "value", _CORE + "yaml"}  # `=` and `!`-like plain scalars: strings in YAML 1.2


@dataclass
class LineMap:
    """Line numbers (1-based) of every mapping key and sequence item of a YAML document.

    ``lines[loc]`` is the line where the value at ``loc`` starts; for a mapping key it is the
    line of the key itself.
    """

    path: str
    lines: dict[Loc, int] = field(default_factory=dict)
    notes: dict[Loc, str] = field(default_factory=dict)
    """Text added to errors at a location and below it, e.g. which scenario swapped an input."""

    def line_of(self, loc: Loc) -> int | None:
        """Line of ``loc`` or of its nearest ancestor that has one.

        Parameters
        ----------
        loc : tuple of str | int
            Path of keys and indices, e.g. ``("processes", 0, "inputs", 1, "amount")``.

        Returns
        -------
        int or None
            1-based line number, None for an empty document.
        """
        loc = tuple(loc)
        while True:
            if loc in self.lines:
                return self.lines[loc]
            if not loc:
                return None
            loc = loc[:-1]

    def note_of(self, loc: Loc) -> str:
        """The note of ``loc`` or of its nearest ancestor that has one, else ``""``."""
        loc = tuple(loc)
        while True:
            if loc in self.notes:
                return self.notes[loc]
            if not loc:
                return ""
            loc = loc[:-1]


class _Refused(Exception):
    """A document pcf does not read: ``line`` (1-based or None) and a message."""

    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _line(node_or_mark: Any) -> int | None:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return mark.line + 1 if mark is not None else None


@functools.cache
def _ruamel() -> SimpleNamespace:
    """ruamel.yaml's parts that pcf reads YAML with, imported on the first parse (a batch that
    reuses its plan's parses, :func:`remember_parsed`, never parses: 30 ms of imports less)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.composer import Composer
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.events import AliasEvent
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
    from ruamel.yaml.reader import ReaderError
    from ruamel.yaml.resolver import VersionedResolver
    from ruamel.yaml.scanner import Scanner

    class _BoundedComposer(Composer):
        """ruamel's composer that counts the nodes it makes and stays quiet about reused anchors
        (legal YAML: an alias refers to the latest anchor of its name)."""

        def __init__(self, loader: Any = None) -> None:
            super().__init__(loader)
            self.warn_double_anchors = False
            self.composed = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.parser.check_event(AliasEvent):
                mark = self.parser.peek_event().start_mark
                return _AliasUse(super().compose_node(parent, index), mark)
            self.composed += 1
            if self.composed > MAX_VALUES:
                raise _Refused(_line(self.parser.peek_event().start_mark),
                               f"more than {MAX_VALUES:,} values in one file; split the model")
            return super().compose_node(parent, index)

    class _BoundedScanner(Scanner):
        """ruamel's scanner that refuses flow nesting (``[[[``) deeper than :data:`MAX_DEPTH` as
        it reads it (the scanner otherwise looks far ahead for a possible key, quadratic in depth)."""

        def fetch_flow_collection_start(self, TokenClass: Any, to_push: Any) -> None:
            if self.flow_level >= MAX_DEPTH:
                raise _Refused(self.reader.line + 1, f"nested more than {MAX_DEPTH} levels deep")
            super().fetch_flow_collection_start(TokenClass, to_push)

    return SimpleNamespace(YAML=YAML, MarkedYAMLError=MarkedYAMLError, YAMLError=YAMLError, ReaderError=ReaderError,
                           ScalarNode=ScalarNode, SequenceNode=SequenceNode, MappingNode=MappingNode,
                           Composer=_BoundedComposer, Scanner=_BoundedScanner,
                           resolver=VersionedResolver(version=(1, 2)))


@dataclass(frozen=True)
class _AliasUse:
    """An alias (``*name``) where it is used: the node it names and the alias's own position
    (the value's line is the alias's; the lines inside it are those of the anchored text)."""

    node: Any
    start_mark: Any


class _Builder:
    """Plain data and the line of every value from a composed node tree.

    Aliases are expanded (each use gets its own copy), counting every value against
    :data:`MAX_VALUES` and every level against :data:`MAX_DEPTH`, so that a small file of
    nested aliases is refused after at most that many steps instead of growing without end.
    """

    def __init__(self, constructor: Any):
        self.constructor = constructor
        self.lines: dict[Loc, int] = {}
        self.count = 0
        self.open: set[int] = set()  # ids of the collections being built (recursive anchors)
        self.alias_line: int | None = None  # line of the outermost alias being expanded

    def build(self, node: Any, loc: Loc, depth: int) -> Any:
        if isinstance(node, _AliasUse):
            if self.alias_line is not None:
                return self.build(node.node, loc, depth)
            self.alias_line = _line(node)  # limits passed inside an alias are reported here
            try:
                return self.build(node.node, loc, depth)
            finally:
                self.alias_line = None
        self.count += 1
        if self.count > MAX_VALUES:
            raise _Refused(self.alias_line or _line(node), f"more than {MAX_VALUES:,} values after expanding "
                           "aliases (*name); an alias that repeats other aliases grows without end")
        if depth > MAX_DEPTH:
            raise _Refused(self.alias_line or _line(node),
                           f"nested more than {MAX_DEPTH} levels deep (after expanding aliases)")
        ruamel = _ruamel()
        if isinstance(node, ruamel.ScalarNode):
            return self.scalar(node)
        if id(node) in self.open:
            raise _Refused(_line(node), "a recursive anchor: an alias inside the value it names")
        self.open.add(id(node))
        try:
            if isinstance(node, ruamel.SequenceNode):
                return self.sequence(node, loc, depth)
            return self.mapping(node, loc, depth)
        finally:
            self.open.discard(id(node))

    def scalar(self, node: ScalarNode) -> Any:
        tag = str(node.tag)
        if tag in _AS_TEXT:
            return node.value
        if not tag.startswith(_CORE):
            raise _Refused(_line(node), f"the tag {tag!r} is not allowed; write plain values")
        try:
            return self.constructor.construct_object(node, deep=True)
        except Exception as exc:  # noqa: BLE001 - ruamel's constructors fail on odd text in many ways
            # (ValueError for 5,000 digits or 2024-13-45, IndexError for an empty !!int): all mean
            # "cannot read this value"
            what = str(getattr(exc, "problem", None) or exc).split("\n")[0]
            if "4300" in what:
                what = "an integer of more than 4,300 digits"
            raise _Refused(_line(node), f"cannot read {node.value[:40]!r}: {what}") from None

    def sequence(self, node: SequenceNode, loc: Loc, depth: int) -> list:
        if str(node.tag) != _CORE + "seq":
            raise _Refused(_line(node), f"the tag {node.tag!s} is not allowed on a list; remove it")
        out = []
        for i, item in enumerate(node.value):
            child = loc + (i,)
            self.lines[child] = _line(item)
            out.append(self.build(item, child, depth + 1))
        return out

    def mapping(self, node: MappingNode, loc: Loc, depth: int) -> dict:
        if str(node.tag) != _CORE + "map":
            raise _Refused(_line(node), f"the tag {node.tag!s} is not allowed on a mapping; remove it")
        out: dict = {}
        first: dict = {}
        for key_use, value_node in node.value:
            key_node = key_use.node if isinstance(key_use, _AliasUse) else key_use
            if not isinstance(key_node, _ruamel().ScalarNode):
                raise _Refused(_line(key_node), "a key must be a plain value, not a list or a mapping")
            if str(key_node.tag) == _CORE + "merge":
                raise _Refused(_line(key_node), "merge keys (<<) are YAML 1.1, not 1.2; write the keys out")
            key = self.build(key_node, loc, depth + 1)
            if key in first:
                raise _Refused(_line(key_use), f"the key {key_node.value!r} is written twice in one mapping "
                                               f"(first on line {first[key]}); keep one")
            first[key] = _line(key_use)
            child = loc + (key_node.value,)
            self.lines[child] = _line(key_use)
            out[key] = self.build(value_node, child, depth + 1)
        return out


def _refuse_other_versions(text: str) -> None:
    """Refuse a ``%YAML`` directive for a version other than 1.2 (raises :class:`_Refused`)."""
    if "%YAML" not in text:
        return
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#")[0].split() if line.startswith("%YAML") else []
        if words[:1] == ["%YAML"] and words[1:] != ["1.2"]:
            version = " ".join(words[1:]) or "no version"
            raise _Refused(number, f"the file declares %YAML {version}; pcf reads YAML 1.2 "
                                   "(write %YAML 1.2 or leave the directive out)")


def _parse(text: str) -> tuple[Any, dict[Loc, int]]:
    """The data and the line of every value of one YAML 1.2 document (raises :class:`_Refused`)."""
    if len(text) > MAX_CHARS:
        raise _Refused(None, f"the file has {len(text):,} characters; pcf reads files of at most {MAX_CHARS:,}")
    _refuse_other_versions(text)
    ruamel = _ruamel()
    yaml = ruamel.YAML(typ="safe", pure=True)
    yaml.Scanner, yaml.Composer = ruamel.Scanner, ruamel.Composer
    yaml.max_depth = MAX_DEPTH
    try:
        node = yaml.compose(text)
    except ruamel.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = ": ".join(str(part) for part in (exc.context, exc.problem) if part) or "not YAML"
        if "maximum depth" in problem:
            problem = f"nested more than {MAX_DEPTH} levels deep"
        raise _Refused(_line(mark), problem) from None
    except ruamel.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        char = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "\0")
        raise _Refused(line, f"the character U+{char:04X} is not allowed in YAML ({exc.reason})") from None
    except ruamel.YAMLError as exc:
        raise _Refused(None, str(exc).split("\n")[0]) from None
    if node is None:
        return None, {}
    builder = _Builder(yaml.constructor)
    data = builder.build(node, (), 0)
    builder.lines[()] = _line(node)
    return data, builder.lines


#: parsed documents by (path, SHA-256 of the text), pickled: a batch loads the same model file
#: for every SKU, and parsing a 450-line model costs ~170 ms, unpickling ~0.2 ms.
_PARSED: "OrderedDict[tuple[str, str], bytes]" = OrderedDict()
_PARSED_MAX = 32


def parsed(paths) -> dict:
    """The remembered parses (:func:`load_yaml`) of the files named ``paths`` (str), as
    ``{(path, SHA-256 of the text): pickled parse}``, for :func:`remember_parsed` in another
    process (a batch keeps them with its plan, :mod:`pcf.batch.plan`)."""
    wanted = set(paths)
    return {key: value for key, value in _PARSED.items() if key[0] in wanted}


def remember_parsed(entries: dict) -> None:
    """Remember parses given by :func:`parsed`: a file whose text has that SHA-256 is not parsed
    again (its parse is keyed by its content, so a changed file is parsed as usual)."""
    for key, value in entries.items():
        _PARSED[key] = value
    while len(_PARSED) > _PARSED_MAX:
        _PARSED.popitem(last=False)


def load_yaml(path: str | Path, error: type[SourceError] = SourceError) -> tuple[Any, LineMap]:
    """Load a YAML 1.2 file strictly and record the line of every value.

    The parse of a file is remembered by its path and content hash (the last 32 files), so
    loading an unchanged file again costs a copy, and every caller gets its own copy.

    Parameters
    ----------
    path : str or Path
        The file to read (UTF-8).
    error : type of SourceError
        The exception class to raise, e.g. :class:`pcf.core.errors.ModelError`.

    Returns
    -------
    data : Any
        The document, as plain dicts, lists and scalars (YAML 1.2 core schema, plus dates).
    lines : LineMap
        Where each value came from.

    Raises
    ------
    SourceError (of class ``error``)
        The file does not exist or cannot be read (a folder), is not UTF-8, is not valid
        YAML, or is refused (module docstring: duplicate keys, merge keys, tags, recursive
        anchors, limits on size, values and depth), with the line where known.
    """
    path = Path(path)
    try:
        text = sources.read_text(path)
    except FileNotFoundError:
        raise error(path, None, "file not found") from None
    except IsADirectoryError:
        raise error(path, None, "is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise error(path, None, f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise error(path, None, f"cannot read the file ({exc.strerror or exc})") from None
    except ValueError:  # a NUL character in the name
        raise error(path, None, "not a file name (it holds a NUL character)") from None
    key = (str(path), hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())
    if key in _PARSED:
        _PARSED.move_to_end(key)
        return pickle.loads(_PARSED[key])
    data, lines = load_text(text, path, error)
    _PARSED[key] = pickle.dumps((data, lines), protocol=pickle.HIGHEST_PROTOCOL)
    while len(_PARSED) > _PARSED_MAX:
        _PARSED.popitem(last=False)
    return data, lines


def load_text(text: str, path: str | Path = "<text>",
              error: type[SourceError] = SourceError) -> tuple[Any, LineMap]:
    """Load YAML 1.2 text as :func:`load_yaml` does a file (no cache).

    Parameters
    ----------
    text : str
        The document.
    path : str or Path
        The name errors give for it.
    error : type of SourceError
        The exception class to raise.

    Returns
    -------
    data, lines
        As :func:`load_yaml`.

    Raises
    ------
    SourceError (of class ``error``)
        As :func:`load_yaml`, the message starting with ``invalid YAML:`` or naming the limit.
    """
    try:
        data, found = _parse(text)
    except _Refused as exc:
        raise error(path, exc.line, f"invalid YAML: {exc.message}") from None
    except RecursionError:  # defence in depth: every nesting is bounded above
        raise error(path, None, "invalid YAML: nested too deeply") from None
    lines = LineMap(str(path))
    lines.lines.update(found)
    return data, lines


def plain_is_text(text: str) -> bool:
    """Whether ``text`` written as a plain (unquoted) scalar reads back as text in YAML 1.2.

    False for what the core schema reads as a number, boolean, null or date (``1e3``,
    ``0o17``, ``true``, ``null``, ``2024-01-01``) and for ``<<``: a writer quotes those. (A
    YAML 1.1 writer such as PyYAML quotes ``NO`` but not ``1e3`` or ``0o17``.)
    """
    ruamel = _ruamel()
    return str(ruamel.resolver.resolve(ruamel.ScalarNode, text, (True, False))) == _CORE + "str"


def format_loc(loc: Loc) -> str:
    """Render a location as ``processes[2].inputs[0].amount``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
