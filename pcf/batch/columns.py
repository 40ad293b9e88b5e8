"""Full results of many SKUs at once, as columns of the batch store (issue 18 part 1).

The result code of ``pcf footprint`` (:func:`pcf.lca.calculate.build_result`, the lint, the
declaration and its PCR assessment) runs once for all rows of a plan: the loader on arrays
(:mod:`pcf.model.variants`), one batched solve (:class:`pcf.lca.inventory.Inventory`), then
every number of the result as a :class:`pcf.model.lanes.Lane` (the reference row's value,
every row's in ``.v``). What differs from the plan's template then comes out as columns:

- a number that is a Lane -> a float64 column (null where the row has the template's number);
- a text made from numbers (a lint message, a PCR item found) -> each row's text;
- a part of another shape than the template's (a list of another length) -> each row's part;
- the row's own fields (``product.id`` and ``name``, ``batch``, ``created_at``) -> each row's.

Rows that decide something otherwise than the reference row (another performance class, a
finding more) are evaluated again in another *round*, with the first of them as reference,
up to :data:`ROUNDS` rounds; what is left, rows the loader refuses and rows with a number that
is not finite go to the scalar path (:func:`pcf.batch.engine.full_result`), which gives their
result or their error. The first rows of every plan in every process are also computed by the
scalar path and compared field by field with the columns (:func:`check_against_scalar`): a
difference turns the arrays off for the plan (a note says so), never a wrong stored number.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from datetime import datetime, timezone

import numpy as np

from ..core.errors import PCFError
from ..declaration import BatchRow, build_declaration
from ..graph import link_foreground
from ..lca.calculate import build_result
from ..lca.inventory import Inventory
from ..model import load_model
from ..model.lanes import OPEN, TEXT, Lane, expand, lane, lanes, signatures
from .store import FORMULA_OPS
from ..model.lint import raise_errors
from ..model.variants import Variants, vectorised
from ..pcr.lint import lint_records, lint_system
from .plan import Plan
from .store import _diff, encode
from .table import SkuRow

ROUNDS = 100000
"""Evaluations of one chunk at most (one per path through the result code); then the scalar path."""
OWN = ("/product/id", "/product/name", "/batch", "/created_at")
"""Fields of every row's own (not from the lanes)."""


@dataclasses.dataclass
class Piece:
    """Store rows of many SKUs of one plan, as columns (:meth:`pcf.batch.store.StoreWriter.commit`).

    Attributes
    ----------
    ids, rows, hashes : list
        SKU ids, table rows and input hashes.
    template : str
        SHA-256 of the plan's template.
    numbers : dict of str to numpy.ndarray
        JSON pointer -> values, shape (len(ids),), NaN where the row has the template's number
        (``mask`` True there).
    masks : dict of str to numpy.ndarray of bool
    patches : list of str or None
        Each row's patch as JSON text (:func:`pcf.batch.store.encode`; None: nothing), without
        what ``texts`` and ``overrides`` hold.
    formulas : dict
        JSON pointer -> formula (:func:`formula`) that gives the number of every row from other
        numbers of the row (not in ``numbers``).
    texts : dict of str to list
        JSON pointer -> each row's text there (None: the template's), e.g. a lint message.
    overrides : dict of str to numpy.ndarray
        Parameter -> each row's value in ``batch.overrides`` (NaN: not overridden), in the
        order of the rows' overrides.
    """

    ids: list
    rows: list
    hashes: list
    template: str
    numbers: dict
    masks: dict
    patches: list
    formulas: dict = dataclasses.field(default_factory=dict)
    texts: dict = dataclasses.field(default_factory=dict)
    overrides: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class RowSet:
    """Rows of one plan as columns (what :func:`full_columns` reads of them; a chunk's
    :class:`pcf.batch.table.Columns` give them without a :class:`SkuRow` per row).

    Attributes
    ----------
    ids : list of str
    rows : list of int
        Table row numbers.
    names : list of str
        Each row's name (empty: the model's).
    values : dict of str to numpy.ndarray
        Parameter -> each row's value, float64, NaN where the row keeps the model's (the
        parameters in the order of the rows' ``overrides``).
    model, scenario : str
    dicts : list of dict or None
        Each row's ``overrides``, when the rows do not follow one order of parameters (rows
        not read from one table); None otherwise.
    """

    ids: list
    rows: list
    names: list
    values: dict
    model: str = ""
    scenario: str = ""
    dicts: list | None = None

    @classmethod
    def of_rows(cls, rows: list[SkuRow]) -> "RowSet":
        """The rows given as :class:`SkuRow`."""
        order = _override_order(rows)
        nan = float("nan")
        names = order if order is not None else list(dict.fromkeys(k for r in rows for k in r.overrides))
        values = {k: np.array([r.overrides.get(k, nan) for r in rows], dtype=float) for k in names}
        return cls([r.id for r in rows], [r.row for r in rows], [r.name for r in rows], values,
                   rows[0].model if rows else "", rows[0].scenario if rows else "",
                   None if order is not None else [dict(r.overrides) for r in rows])

    @classmethod
    def of_columns(cls, cols, positions: np.ndarray) -> "RowSet":
        """The rows at ``positions`` of :class:`pcf.batch.table.Columns` ``cols`` (their parameter
        columns in the table's order, as :meth:`~pcf.batch.table.Columns.make_rows` orders each
        row's ``overrides``)."""
        part = cols.take(positions)
        return cls(list(part.ids), part.rows.tolist(), list(part.names), dict(part.values),
                   part.models[0] if len(part) else "", part.scenarios[0] if len(part) else "")

    def __len__(self) -> int:
        return len(self.ids)

    def overrides(self, i: int) -> dict:
        """Row ``i``'s ``overrides``."""
        if self.dicts is not None:
            return dict(self.dicts[i])
        return {k: float(v[i]) for k, v in self.values.items() if v[i] == v[i]}

    def sku_row(self, i: int) -> SkuRow:
        """Row ``i`` as a :class:`SkuRow`."""
        return SkuRow(self.rows[i], self.ids[i], self.names[i], self.model, self.scenario, self.overrides(i))


def _to_lanes(obj, seen: set):
    """Replace the loader's :class:`Variants` arrays inside ``obj`` (system, graph, dicts, lists,
    records) by Lanes, in place where the container allows it."""
    if isinstance(obj, np.ndarray):
        return lane(obj) if obj.ndim == 1 and isinstance(obj, Variants) else obj
    if obj is None or isinstance(obj, (str, int, float, bool)) or id(obj) in seen:
        return obj
    seen.add(id(obj))
    if isinstance(obj, dict):
        for k, v in list(obj.items()):
            new = _to_lanes(v, seen)
            if new is not v:
                obj[k] = new
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            new = _to_lanes(v, seen)
            if new is not v:
                obj[i] = new
    elif type(obj) is tuple:
        items = tuple(_to_lanes(v, seen) for v in obj)
        return items if any(a is not b for a, b in zip(items, obj)) else obj
    else:
        attrs = getattr(obj, "__dict__", None)
        if attrs is not None:
            for k, v in list(attrs.items()):
                new = _to_lanes(v, seen)
                if new is not v:
                    attrs[k] = new
    return obj


def evaluate_round(plan: Plan, values: dict[str, np.ndarray], n: int):
    """The declaration of ``n`` variants at once (row 0 the reference).

    Returns
    -------
    declaration : pcf.declaration.Declaration
        Numbers as Lanes, texts of numbers as markers (:mod:`pcf.model.lanes`); ``product``,
        ``batch`` are the reference's.
    state : pcf.model.lanes.LaneState
    bad : numpy.ndarray of bool, shape (n,)
        Rows to take another path (diverged, singular, refused by the loader).

    Raises
    ------
    PCFError, TypeError, ValueError, KeyError, numpy.linalg.LinAlgError
        The reference row fails, or the code does something lanes cannot do.
    """
    prepared = plan.prepared
    with vectorised(n) as loading, plan.files():
        system = load_model(plan.model, overrides={k: Variants(v) for k, v in values.items()} or None,
                            scenario=plan.scenario or None)
        data, graph = link_foreground(system, prepared.links)
    inv = Inventory.build(data, graph, prepared.char, prepared.flows, n=n)
    sol = inv.solve(np.broadcast_to(np.asarray(system.reference_amount, dtype=float), (n,)), prepared.char)
    bad = loading.diverged | sol.singular | ~np.isfinite(sol.total)
    if bad[0]:
        raise PCFError("the reference row of the arrays cannot be solved")
    seen: set = set()
    for obj in (system, data, graph):
        _to_lanes(obj, seen)
    with vectorised(n) as deciding, lanes(n) as state:
        result = build_result(system, prepared, graph, inv, sol, pick=lane)
        findings = lint_system(system, plan.pcr)
        raise_errors(findings)
        declaration = build_declaration(result, plan.pcr)
        declaration = declaration.replace(result=dataclasses.replace(declaration.result, lint=lint_records(findings)))
    state.diverged |= bad | deciding.diverged
    return declaration, state


class _Split:
    """Where a lane document differs from its template (:func:`_split`)."""

    def __init__(self, n: int):
        self.n = n
        self.numbers: dict = {}  # pointer -> values (n,)
        self.lanes: dict = {}  # pointer -> the Lane there
        self.constant: dict = {}  # pointer -> value for every row
        self.per_row: dict = {}  # pointer -> lane sub-tree, materialised per row


def _has_lanes(x) -> bool:
    if type(x) is Lane:
        return True
    if isinstance(x, str):
        return OPEN in x
    if isinstance(x, dict):
        return any(_has_lanes(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return any(_has_lanes(v) for v in x)
    return False


def _split(t, d, path: str, out: _Split) -> None:
    """Walk template ``t`` and lane document ``d`` as :func:`pcf.batch.store._diff` does."""
    if path in OWN:
        return
    if type(d) is Lane:
        if type(t) is float:
            out.numbers[path] = d.v
            out.lanes[path] = d
        else:
            out.per_row[path] = d
        return
    if type(t) is float and type(d) is float:
        if t != d or str(t) != str(d):
            out.numbers[path] = np.full(out.n, d)
        return
    if type(t) is dict and type(d) is dict and list(t) == list(d):
        for k, v in t.items():
            _split(v, d[k], f"{path}/{k.replace('~', '~0').replace('/', '~1')}", out)
        return
    if type(t) is list and type(d) is list and len(t) == len(d):
        for i, (a, b) in enumerate(zip(t, d)):
            _split(a, b, f"{path}/{i}", out)
        return
    if _has_lanes(d):
        out.per_row[path] = d
        return
    if type(t) is type(d) and t == d:
        return
    out.constant[path] = d


def _materialise(x, row: int, texts: list):
    if type(x) is Lane:
        return float(x.v[row])
    if isinstance(x, str):
        return expand(x, texts, row) if OPEN in x else x
    if isinstance(x, dict):
        return {k: _materialise(v, row, texts) for k, v in x.items()}
    if isinstance(x, list):
        return [_materialise(v, row, texts) for v in x]
    return x


def _column(sub, positions: list[int], texts: list) -> list:
    """:func:`_materialise` of ``sub`` for every row at ``positions``: a text with markers is
    put together from its pieces (one join per row, no pattern matching), anything else row
    by row."""
    if isinstance(sub, str) and OPEN in sub:
        pieces = TEXT.split(sub)  # literal, marker number, literal, ...
        columns = [itertools.repeat(piece) if i % 2 == 0 else [texts[int(piece)][p] for p in positions]
                   for i, piece in enumerate(pieces)]
        return ["".join(parts) for parts in zip(*columns)] if len(pieces) > 1 else [sub] * len(positions)
    return [_materialise(sub, p, texts) for p in positions]


def _non_finite_rows(x, bad: np.ndarray) -> None:
    if type(x) is Lane:
        bad |= ~np.isfinite(x.v)
    elif isinstance(x, dict):
        for v in x.values():
            _non_finite_rows(v, bad)
    elif isinstance(x, list):
        for v in x:
            _non_finite_rows(v, bad)


def _round(plan: Plan, values: dict, n: int):
    """One evaluation (:func:`evaluate_round`) turned into JSON with Lanes; the summary
    figures of its rows and the PCR verdict they share."""
    from .engine import figures_of_result  # engine imports this module

    declaration, state = evaluate_round(plan, values, n)
    with vectorised(n) as deciding, lanes(n) as more:
        more.texts = state.texts
        doc = declaration.to_json()
        figures = figures_of_result(declaration, plan)
        a = declaration.assessment
        verdict = {"performance_class": declaration.graded_class if a else None,
                   "conforms": a.conforms if a else None,
                   "nonconformities": len(a.nonconformities) if a else None}
    later = (state.first < 0) & (more.first >= 0)
    state.first[later] = more.first[later] + (1 << 32)  # decisions of the second context come after
    state.marks.extend(more.marks)
    state.diverged |= deciding.diverged | more.diverged
    _non_finite_rows(doc, state.diverged)
    for v in figures.values():
        if type(v) is Lane:
            state.diverged |= ~np.isfinite(v.v)
    return doc, state, figures, verdict


def rows_of_round(template: dict, template_sha: str, plan: Plan, doc: dict, state, rows: RowSet, at: np.ndarray,
                  positions: list[int], hashes: list[str]) -> Piece:
    """The store rows of the rows at ``at`` of ``rows`` (at ``positions`` of the round's lanes)
    as a :class:`Piece`."""
    texts_of_round = state.texts
    if "batch" in template and "batch" not in doc:
        doc = dict(doc, batch=template["batch"])  # each row's own (OWN): keeps the key order of a batch result
    split = _Split(len(state.diverged))
    _split(template, doc, "", split)
    sel = np.asarray(positions, dtype=int)
    numbers, masks = {}, {}
    for pointer, v in split.numbers.items():
        t = _at(template, pointer)
        values = np.asarray(v, dtype=float)[sel]
        same = (values == t) & (np.signbit(values) == np.signbit(t))
        if same.all():
            continue
        numbers[pointer] = np.where(same, np.nan, values)
        masks[pointer] = same
    formulas = _formulas(split, numbers, sel)
    for pointer in formulas:
        del numbers[pointer], masks[pointer]
    name = doc["product"]["name"]
    created = doc.get("created_at")
    batch = template.get("batch")
    if type(batch) is not dict or batch.get("overrides") != {} or batch.get("model_product") != dict(plan.product):
        raise ValueError("the template is not a batch result of the plan's own values")
    # each row's own fields (OWN) as encode() gives them against a template of the plan (its
    # batch.overrides empty): the name, the overrides and the time; the id, row and input hash
    # are the store's columns (store.DERIVED), batch.model_product the template's
    shared = dict(split.constant)
    if created != template.get("created_at"):
        shared["/created_at"] = created
    texts: dict = {}
    irregular: list = []
    for pointer, sub in split.per_row.items():
        was = _at(template, pointer, None)
        values = _column(sub, positions, texts_of_round)
        if isinstance(sub, str) and type(was) is str:
            column = [None if v == was else v for v in values]
            if any(v is not None for v in column):
                texts[pointer] = column
        else:
            irregular.append((pointer, was, values))
    own_name = template["product"]["name"]
    index = at.tolist()
    names = [rows.names[i] or name for i in index]
    if any(n != own_name for n in names):
        texts["/product/name"] = [None if n == own_name else n for n in names]
    if rows.dicts is None:
        overrides = {k: v for k, v in ((k, v[at]) for k, v in rows.values.items()) if not np.isnan(v).all()}
    else:
        overrides = {}
        irregular.append(("/batch/overrides", {}, [dict(rows.dicts[i]) for i in index]))
    if irregular:
        patches = []
        for i in range(len(index)):
            patch = dict(shared)
            for pointer, was, values in irregular:
                value = values[i]
                if value != was or type(value) is not type(was):
                    patch[pointer] = value
            patches.append(_JSON(patch) if patch else None)
    else:
        patches = [_JSON(shared) if shared else None] * len(index)
    return Piece([rows.ids[i] for i in index], [rows.rows[i] for i in index], list(hashes), template_sha, numbers,
                 masks, patches, formulas, texts, overrides)


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _override_order(rows: list[SkuRow]) -> list | None:
    """The parameters of the rows' ``batch.overrides`` in one order that each row's dict follows
    (rows of one table always do); None when there is none (each row's patch then holds them)."""
    orders = {tuple(r.overrides) for r in rows}
    names = list(dict.fromkeys(k for order in sorted(orders, key=len, reverse=True) for k in order))
    position = {k: i for i, k in enumerate(names)}
    for order in orders:
        keys = [position[k] for k in order]
        if keys != sorted(keys):
            return None
    return names


DEPTH = 4
"""Operations a formula may reach through numbers that are not in the result."""


def formula(how, pointers: dict, depth: int = DEPTH, own: str | None = None):
    """A Lane's :attr:`~pcf.model.lanes.Lane.how` as a formula of the result's numbers:
    ``[operation, argument...]`` with each argument a JSON pointer (str), a number or a formula;
    None when an operand is not in the result within ``depth`` operations.

    Parameters
    ----------
    how : tuple
    pointers : dict
        ``id`` of a Lane in the result -> its JSON pointer (a Lane of the result is alive, so the
        weak reference :attr:`~pcf.model.lanes.Lane.how` holds to it still gives it).
    own : str, optional
        The pointer of the number itself (never an argument of its own formula).
    """
    if how is None:
        return None
    out = [how[0]]
    for source in how[1:]:
        if source is None:
            return None
        if source[0] == "c":
            out.append(source[1])
        elif pointers.get(id(source[1]()), own) != own:  # the operand, alive, is a number of the result
            out.append(pointers[id(source[1]())])
        elif depth > 0 and source[2] is not None:
            inner = formula(source[2], pointers, depth - 1, own)
            if inner is None:
                return None
            out.append(inner)
        else:
            return None
    return out


def _evaluate(f, value):
    """A formula's values, ``value(pointer)`` giving a pointer's (numpy arrays or floats)."""
    args = [a if type(a) is float else value(a) if type(a) is str else _evaluate(a, value) for a in f[1:]]
    return FORMULA_OPS[f[0]](*args)


def _formulas(split: _Split, numbers: dict, sel: np.ndarray) -> dict:
    """The columns of ``numbers`` that a formula of other numbers gives, bit for bit in every
    row: pointer -> formula, in an order where each comes after those it uses."""
    lanes_at = {p: v for p, v in split.lanes.items()}
    pointers = {}
    for p, v in lanes_at.items():
        pointers.setdefault(id(v), p)
    found: dict = {}
    taken: dict = {}  # pointer -> its values at sel (a total is an operand of a hundred shares)

    def value(q):
        got = taken.get(q)
        if got is None:
            got = taken[q] = lanes_at[q].v[sel]
        return got

    for p in numbers:
        f = formula(lanes_at[p].how, pointers, own=p) if p in lanes_at else None
        if f is None:
            continue
        with np.errstate(all="ignore"):
            got = np.asarray(_evaluate(f, value), dtype=float)
        want = value(p)
        if got.shape == want.shape and np.array_equal(got.view(np.int64), want.view(np.int64)):
            found[p] = f
    order: dict = {}

    def visit(p, path=()):
        if p in order or p in path:
            return p not in path
        for q in _pointers_of(found[p]):
            if q in found and not visit(q, path + (p,)):
                return False
        order[p] = found[p]
        return True

    for p in found:
        visit(p)
    return order


def _pointers_of(f):
    for a in f[1:]:
        if type(a) is str:
            yield a
        elif type(a) is list:
            yield from _pointers_of(a)


_MISSING = object()


def _at(doc, pointer: str, default=_MISSING):
    node = doc
    try:
        for token in pointer.split("/")[1:]:
            node = node[int(token)] if type(node) is list else node[token.replace("~1", "/").replace("~0", "~")]
    except (KeyError, IndexError, ValueError, TypeError):
        if default is _MISSING:
            raise
        return default
    return node


@dataclasses.dataclass
class Rows:
    """What :func:`full_rows` and :func:`full_columns` give: ``pieces`` (store rows as columns),
    ``columns`` (per piece: ``rows``, the table rows, ``at``, their positions in the rows given,
    and the summary figures, :func:`pcf.batch.engine.figures`, and PCR verdict of those rows: an
    array, or one value for all), ``rest`` (positions of the rows for the scalar path, in the
    rows given; :func:`full_rows` gives the rows), ``notes``, ``rounds`` (evaluations of the
    result code on arrays) and ``evaluated`` (rows those evaluations took, counted once per
    evaluation, the plan's own row apart)."""

    pieces: list = dataclasses.field(default_factory=list)
    columns: list = dataclasses.field(default_factory=list)
    rest: list = dataclasses.field(default_factory=list)
    notes: list = dataclasses.field(default_factory=list)
    rounds: int = 0
    evaluated: int = 0

    @property
    def figures(self) -> dict:
        """Row -> its summary figures and verdict (a dict per row, from :attr:`columns`)."""
        out = {}
        for cols in self.columns:
            for i, row in enumerate(cols["rows"]):
                out[row] = {k: (v[i].item() if isinstance(v, np.ndarray) else v[i] if type(v) is list else v)
                            for k, v in cols.items() if k not in ("rows", "at")}
        return out


_TRUSTED: dict = {}  # plan fingerprint -> True (checked against the scalar path) / the difference found


def full_rows(plan: Plan, rows: list[SkuRow], template: dict, template_sha: str, hashes: dict) -> Rows:
    """:func:`full_columns` of rows given as :class:`SkuRow` (``hashes``: row number -> input
    hash); ``rest`` holds the rows left for the scalar path."""
    out = full_columns(plan, RowSet.of_rows(rows), template, template_sha, [hashes[r.row] for r in rows])
    out.rest = [rows[i] for i in out.rest]
    return out


def full_columns(plan: Plan, rows: RowSet, template: dict, template_sha: str, hashes: list) -> Rows:
    """The full results of many rows of one plan as store rows (module docstring).

    Parameters
    ----------
    plan : Plan
    rows : RowSet
        Rows of this plan without errors, all of whose parameters the model has.
    template : dict
        The plan's template (the result JSON of its own parameter values, as stored).
    template_sha : str
    hashes : list of str
        Each row's input hash.
    """
    out = Rows()
    verdict = _TRUSTED.get(plan.fingerprint)
    if verdict is not None and verdict is not True:
        out.rest = list(range(len(rows)))
        return out
    known = {k: np.where(np.isnan(v), float(plan.parameters[k]), v) for k, v in rows.values.items()
             if not np.isnan(v).all()}
    groups = [np.arange(len(rows))]  # rows that likely share a path, each evaluated together
    for number in range(ROUNDS):
        if not groups:
            break
        pending = groups.pop(0)
        first = number == 0
        off = 1 if first else 0
        values = {k: np.concatenate([[float(plan.parameters[k])], v[pending]]) if first else v[pending]
                  for k, v in sorted(known.items())}
        n = len(pending) + off
        out.rounds += 1
        out.evaluated += len(pending)
        try:
            doc, state, figures, shared = _round(plan, values, n)
        except (PCFError, TypeError, ValueError, KeyError, ArithmeticError, np.linalg.LinAlgError) as exc:
            if first:
                out.rest = list(range(len(rows)))
                out.notes.append(f"the arrays could not compute the full results ({type(exc).__name__}: {exc})")
                return out
            out.rest.append(int(pending[0]))  # a reference that fails: the scalar path gives its error
            groups[:0] = [pending[1:]] if len(pending) > 1 else []
            continue
        if state.diverged[0]:
            if first:
                out.rest = list(range(len(rows)))
                return out
            out.rest.append(int(pending[0]))
            groups[:0] = [pending[1:]] if len(pending) > 1 else []
            continue
        sel = np.flatnonzero(~state.diverged[off:]) + off  # positions in the round's lanes
        if sel.size:
            at = pending[sel - off]
            piece = rows_of_round(template, template_sha, plan, doc, state, rows, at, sel.tolist(),
                                  [hashes[i] for i in at.tolist()])
            if _TRUSTED.get(plan.fingerprint) is not True:
                difference = check_against_scalar(plan, template, piece, [rows.sku_row(int(at[-1]))], len(at) - 1)
                _TRUSTED[plan.fingerprint] = difference or True
                if difference:
                    out.rest = list(range(len(rows)))
                    out.pieces, out.columns = [], []
                    out.notes.append(f"{plan.model}: the arrays' full results differ from the scalar path's "
                                     f"({difference}); rows computed one by one, please report this")
                    return out
            out.pieces.append(piece)
            out.columns.append({"rows": piece.rows, "at": at, **shared,
                                **{k: v.v[sel] if type(v) is Lane else [v[p] for p in sel.tolist()] if type(v) is list
                                   else v for k, v in figures.items()}})
        groups.extend(_paths(pending, off, state))
    out.rest.extend(int(i) for group in groups for i in group)
    return out


def _paths(pending: np.ndarray, off: int, state) -> list[np.ndarray]:
    """The diverged rows of a round (``pending[p - off]`` at position ``p``) grouped by their
    signature, every decision at which they answered otherwise than the reference
    (:func:`pcf.model.lanes.signatures`; a row diverged without a decision, e.g. by the loader
    or a number that is not finite, has none): each group is evaluated in a round of its own,
    with its first row as the reference. Rows that answered the same decisions otherwise
    likely share one path, so a row is mostly evaluated twice at most (a group whose rows still
    part ways is split again by its own round)."""
    diverged = np.flatnonzero(state.diverged[off:]) + off
    return [pending[group - off] for group in signatures(state.marks, diverged)]


def piece_row(piece: Piece, i: int) -> tuple[dict, dict]:
    """``(numbers, patch)`` of row ``i`` of a piece, as :func:`pcf.batch.store.encode` gives them
    (the patch with the row's texts and overrides)."""
    numbers = {p: float(v[i]) for p, v in piece.numbers.items() if not piece.masks[p][i]}
    patch = {p: v[i] for p, v in piece.texts.items() if v[i] is not None}
    overrides = {k: float(v[i]) for k, v in piece.overrides.items() if v[i] == v[i]}
    if overrides:
        patch["/batch/overrides"] = overrides
    if piece.patches[i]:
        patch.update(json.loads(piece.patches[i]))
    return numbers, patch


def check_against_scalar(plan: Plan, template: dict, piece: Piece, rows: list[SkuRow], i: int) -> str:
    """Compare row ``i`` of a piece (``rows``: that row) with its scalar full result, every field
    (apart from ``created_at``); the first difference, or empty."""
    from .engine import full_result
    from .store import decode

    text = json.dumps(template, ensure_ascii=False)
    for row in rows:
        scalar = json.loads(json.dumps(full_result(plan, row).to_json(), ensure_ascii=False))
        numbers, patch = piece_row(piece, i)
        rebuilt = decode(text, numbers, patch, {"id": piece.ids[i], "row": piece.rows[i],
                                                "input_sha256": piece.hashes[i]}, piece.formulas)
        scalar.pop("created_at", None)
        rebuilt.pop("created_at", None)
        if json.dumps(rebuilt) != json.dumps(scalar):
            n, p = encode(scalar, rebuilt)
            first = next(iter({**n, **p}.items()), None)
            if first is None:
                return f"row {row.row}: the JSON text differs"
            return f"row {row.row}: {first[0]} {first[1]!r}, scalar {_at(scalar, first[0], None)!r}" + \
                (f" and {len(n) + len(p) - 1} more" if len(n) + len(p) > 1 else "")
    return ""
