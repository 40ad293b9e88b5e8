"""Finding activities in the installed backgrounds by fuzzy text match (``pcf db search``).

Every activity of the open default, of the background tables and of the databases of ``pcf db
import`` is a candidate (biosphere and foreground databases are not searched, nor the zero-burden
placeholders an import writes for unlinked inputs, ``pcf_unlinked``). The score of a candidate
[0..100] is, for each word of the query, the best match among the words of its name and
reference product — 100 when the query word begins a word (``nmc`` in ``nmc811``), at least 90
when it is inside one (``east`` in ``northeast``), else rapidfuzz's normalised Indel similarity
``fuzz.ratio`` (``aluminum`` ~ ``aluminium`` 94) —
averaged over the query's words; ties go to the closer whole name or reference product
(``fuzz.ratio`` of the whole query), then to database and name order. Candidates below :data:`MIN_SCORE` are no
match. Text is compared after rapidfuzz's ``default_process`` (lower case, non-alphanumerics to
spaces).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np
import yaml
from rapidfuzz import fuzz, process, utils

from ..core.errors import BackgroundError, SourceError, UnitError
from ..core.units import parse_unit
from ..core.yamlsrc import load_text
from .catalog import DatabaseEntry, list_databases

#: Kinds of :func:`pcf.background.list_databases` that are searched.
SEARCHED_KINDS = ("open-default", "table", "imported")
#: Lowest score [0..100] that counts as a match.
MIN_SCORE = 70.0
#: Words in a table row's name or reference product that state it stands in for another
#: product (databases/README.md: ``PROXY: ...``, ``(proxy: LDPE resin)``, ``proxy for silica sand``).
PROXY_WORD = re.compile(r"\bproxy\b", re.IGNORECASE)


@dataclass(frozen=True)
class Match:
    """One activity found by :func:`search_activities`.

    Attributes
    ----------
    database : str
        Name as ``pcf db list`` shows it (``open-default`` for ``pcf-open-default``).
    brightway_database : str
        Brightway database name.
    code : str
        Activity code (the key of an open-default row).
    node_id : int
        Brightway node id.
    reference : str
        What to write in a model's input to use it (docs/model-format.md, ``inputs[]``):
        ``{background: KEY}`` for the open default, ``{database: NAME, code: CODE}`` otherwise.
    name, reference_product, location, unit : str
        As stored ('' when absent).
    source : str
        The row's citation (tables), else the database's source as ``pcf db list`` shows it.
    dqr : dict or None
        ``{ter, ger, tir, p, dqr}`` PEF data quality rating [-] where the database records one
        (the tables: databases/README.md), else None.
    proxy : bool or None
        For a table row: its name or reference product says it is a proxy for another product;
        None for a database that records no such thing (an import).
    score : float
        Match score [0..100].
    """

    database: str
    brightway_database: str
    code: str
    node_id: int
    reference: str
    name: str
    reference_product: str
    location: str
    unit: str
    source: str
    dqr: dict | None
    proxy: bool | None
    score: float


@dataclass(frozen=True)
class Candidate:
    """An activity before scoring: its entry, id, code and stored fields."""

    entry: DatabaseEntry
    node_id: int
    code: str
    data: dict


def searched_databases(database: str | None = None) -> list[DatabaseEntry]:
    """The installed databases a search covers: all backgrounds, or the one named.

    Raises
    ------
    BackgroundError
        About ``database``: no background of that name (the message lists the installed ones).
    """
    entries = [e for e in list_databases() if e.kind in SEARCHED_KINDS]
    if database is None:
        return entries
    chosen = [e for e in entries if database in (e.name, e.database)]
    if not chosen:
        names = ", ".join(e.name for e in entries) or "none (run `pcf setup`)"
        raise BackgroundError(f"no background database {database!r} installed; installed: {names}").about("database")
    return chosen


def _candidates(entries: list[DatabaseEntry]) -> list[Candidate]:
    """Every activity of ``entries`` (processes; not the placeholders of unlinked inputs)."""
    from bw2data.backends import ActivityDataset as AD

    from ..core.bw import brightway

    brightway()
    by_db = {e.database: e for e in entries}
    out = []
    query = AD.select(AD.id, AD.database, AD.code, AD.data).where(AD.database.in_(list(by_db)))
    for row in query.order_by(AD.database, AD.id):
        data = row.data or {}
        if data.get("type", "process") not in ("process", "processwithreferenceproduct") or data.get("pcf_unlinked"):
            continue
        out.append(Candidate(by_db[row.database], row.id, row.code, data))
    return out


def _keep(c: Candidate, location: str | None, unit) -> bool:
    """The location (case-insensitive) and unit (by Pint, e.g. kg = kilogram) filters."""
    if location is not None and (c.data.get("location") or "").strip().lower() != location.strip().lower():
        return False
    if unit is not None:
        text = (c.data.get("unit") or "").strip()
        try:
            return parse_unit(text) == unit
        except UnitError:
            return False
    return True


def _scores(query: str, texts: list[str]) -> np.ndarray:
    """Score [0..100] of each text for ``query`` (module docstring)."""
    words = utils.default_process(query).split()
    if not words or not texts:
        return np.zeros(len(texts))
    split = [utils.default_process(t).split() for t in texts]
    vocab = sorted({w for ws in split for w in ws})
    if not vocab:
        return np.zeros(len(texts))
    index = {w: i for i, w in enumerate(vocab)}
    sim = process.cdist(words, vocab, scorer=fuzz.ratio, dtype=np.float64)
    for i, w in enumerate(words):
        inside = [j for j, v in enumerate(vocab) if w in v]
        sim[i, inside] = np.maximum(sim[i, inside], 90.0)
        sim[i, [j for j in inside if vocab[j].startswith(w)]] = 100.0
    out = np.zeros(len(texts))
    for k, ws in enumerate(split):
        if ws:
            out[k] = sim[:, [index[w] for w in ws]].max(axis=1).mean()
    return out


def _closeness(text: str, name: str, product: str) -> float:
    """Tie-break [0..100]: rapidfuzz ``fuzz.ratio`` of the whole query with the name or the
    reference product, the better one (``steel`` is closer to ``steel, virgin`` than to
    ``stainless steel, grade 304``)."""
    return max(fuzz.ratio(text, name, processor=utils.default_process),
               fuzz.ratio(text, product, processor=utils.default_process))


def yaml_scalar(text: str) -> str:
    """``text`` as a YAML flow scalar: plain when YAML 1.2 (pcf's reader) and YAML 1.1 (other
    tools) both read it back as the same string, else JSON-quoted (a JSON string is a YAML
    double-quoted scalar)."""
    plain = bool(text) and not re.search(r"[,\[\]{}#:&*!|>'\"%@`]|^\s|\s$|^[-?]", text)
    try:
        plain = plain and yaml.safe_load(text) == text and load_text(text)[0] == text
    except (yaml.YAMLError, SourceError):
        plain = False
    return text if plain else json.dumps(text, ensure_ascii=False)


def reference(entry: DatabaseEntry, code: str) -> str:
    """The model input reference of an activity (docs/model-format.md, ``inputs[]``)."""
    if entry.kind == "open-default":
        return f"{{background: {yaml_scalar(code)}}}"
    return f"{{database: {yaml_scalar(entry.name)}, code: {yaml_scalar(code)}}}"


def _match(c: Candidate, score: float) -> Match:
    data, entry = c.data, c.entry
    table = entry.kind in ("open-default", "table")
    parts = {k: data.get(f"dqr_{k}") for k in ("ter", "ger", "tir", "p")}
    dqr = None
    if all(v is not None for v in parts.values()):
        dqr = {k: int(v) for k, v in parts.items()}
        dqr["dqr"] = float(data.get("dqr") or sum(dqr.values()) / 4)
    name, product = (data.get("name") or "").strip(), (data.get("reference product") or "").strip()
    return Match(
        database=entry.name, brightway_database=entry.database, code=c.code, node_id=c.node_id,
        reference=reference(entry, c.code), name=name, reference_product=product,
        location=(data.get("location") or "").strip(), unit=(data.get("unit") or "").strip(),
        source=(data.get("source") or entry.source) if table else entry.source, dqr=dqr,
        proxy=bool(PROXY_WORD.search(name) or PROXY_WORD.search(product)) if table else None,
        score=round(float(score), 1),
    )


def search_activities(text: str, database: str | None = None, location: str | None = None,
                      unit: str | None = None, limit: int | None = 20) -> list[Match]:
    """Activities of the installed backgrounds that match ``text``, best first.

    Parameters
    ----------
    text : str
        Words to look for in the name and reference product.
    database : str, optional
        Search this database only (as ``pcf db list`` names it, or its Brightway name).
    location : str, optional
        Keep activities of this location only (e.g. ``CN``, ``GLO``; case-insensitive).
    unit : str, optional
        Keep activities in this unit only (``kg`` also finds ``kilogram``).
    limit : int, optional
        At most this many (None: all matches).

    Returns
    -------
    list of Match
        Score >= :data:`MIN_SCORE`, sorted by score, whole-query similarity, database, name;
        empty when nothing matches.

    Raises
    ------
    BackgroundError
        About ``database``: not an installed background; a ``text`` with no word to search for.
    UnitError
        About ``unit``: an unknown unit.
    """
    if not utils.default_process(text).split():
        raise BackgroundError(f"nothing to search for in {text!r}: give a word of a name or product")
    if limit is not None and limit < 1:
        raise BackgroundError(f"limit {limit} must be at least 1").about("limit")
    try:
        wanted_unit = parse_unit(unit) if unit is not None else None
    except UnitError as exc:
        raise exc.about("unit") from None
    entries = searched_databases(database)
    pool = [c for c in _candidates(entries) if _keep(c, location, wanted_unit)]
    names = [c.data.get("name") or "" for c in pool]
    scores = _scores(text, [f"{n} {c.data.get('reference product') or ''}" for n, c in zip(names, pool)])
    order = {e.database: i for i, e in enumerate(entries)}
    found = [(s, c, n) for s, c, n in zip(scores, pool, names) if s >= MIN_SCORE]
    found.sort(key=lambda t: (-t[0], -_closeness(text, t[2], t[1].data.get("reference product") or ""),
                              order[t[1].entry.database], t[2].lower(), t[1].code))
    return [_match(c, s) for s, c, _ in (found if limit is None else found[:limit])]


__all__ = ["MIN_SCORE", "Match", "reference", "search_activities", "searched_databases", "yaml_scalar"]
