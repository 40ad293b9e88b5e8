"""The registry's cache of PACT documents (``pcf serve``), in portable SQL.

A PACT host (:mod:`pcf.serve.host`) exports each issued label once and keeps the result
here, so that a request reads a page of prepared JSON instead of exporting every label. The
cache is derived data: deleting its rows loses nothing (they are made again on the next
request), and it is never stale, because

* a row is keyed by the label number, the SHA-256 of the label's signed declaration
  (``labels.declaration_sha256``, fixed for the label's life by a trigger) and the exporter
  version (the pcf version and a digest of its source, :func:`pcf.serve.host.exporter_version`):
  a new pcf, or another declaration under the same number, misses the old rows;
* what changes during a label's life (its status, renewal, and whether ``now`` lies in its
  validity) is not cached: a query joins ``labels`` and works ``status`` out at request time
  (:data:`ACTIVE`), and the host writes the status-dependent ``comment`` then.

Tables (added with ``CREATE TABLE IF NOT EXISTS`` to any registry, like the verification-case
tables; no schema version change):

``pact_documents``
    one row per label, PACT version (``v3``, ``v2``) and exporter: the document without
    ``status`` and ``comment`` (``body``, JSON text; NULL when the exporter refused the result,
    ``problem`` says why), the export's own ``comment``, the footprint ``id`` (lower case), the
    label order ``seq``, the label's validity ``valid_from`` / ``valid_until`` and the PACT
    validity period ``period_start`` / ``period_end`` (NULL when the document has none), all as
    fixed-width UTC text (:func:`sortable_time`) so that text order is time order.
``pact_terms``
    the values a list filter compares, lower-cased: ``productid``, ``companyid``,
    ``classification``, ``geography`` (one row per value).

Indexes: ``pact_documents_order`` holds every column a filter or the status reads, in label
order, and ``labels_pact`` the label columns a served row needs, so that a page is selected
from the two indexes alone and only the rows on it read their ``body``; ``pact_terms_value``
finds the footprints of a filter value.

Both tables are written with ``INSERT ... ON CONFLICT DO NOTHING`` (two servers filling the same
label at once write the same rows) and read in SQL both SQLite and PostgreSQL accept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

#: Statements that add the cache tables to a registry when missing (both back ends).
PACT_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS pact_documents (
    number             TEXT NOT NULL,
    version            TEXT NOT NULL,     -- v3 | v2
    declaration_sha256 TEXT NOT NULL,     -- the label's, when the row was made
    exporter           TEXT NOT NULL,     -- pcf version + source digest
    seq                BIGINT NOT NULL,   -- the label's order
    id                 TEXT NOT NULL,     -- footprint id, lower case
    valid_from         TEXT NOT NULL,     -- the label's validity, sortable UTC text
    valid_until        TEXT NOT NULL,
    period_start       TEXT,              -- the document's PACT validity period (NULL: none)
    period_end         TEXT,
    comment            TEXT NOT NULL,     -- the export's comment (the label's note is added when served)
    problem            TEXT,              -- why the exporter refused the result (then body is NULL)
    body               TEXT,              -- JSON object without status and comment (last: the long column)
    PRIMARY KEY (number, version, declaration_sha256, exporter)
);
""",
    """
CREATE INDEX IF NOT EXISTS pact_documents_order ON pact_documents(version, exporter, seq, number, declaration_sha256,
    problem, valid_from, valid_until, period_start, period_end);
""",
    """
CREATE INDEX IF NOT EXISTS pact_documents_id ON pact_documents(id);
""",
    """
CREATE TABLE IF NOT EXISTS pact_terms (
    number             TEXT NOT NULL,
    version            TEXT NOT NULL,
    declaration_sha256 TEXT NOT NULL,
    exporter           TEXT NOT NULL,
    field              TEXT NOT NULL,     -- productid | companyid | classification | geography
    value              TEXT NOT NULL,     -- lower case
    PRIMARY KEY (number, version, declaration_sha256, exporter, field, value)
);
""",
    """
CREATE INDEX IF NOT EXISTS labels_pact ON labels(number, declaration_sha256, status, renewed_by, issuer, issued_at,
    valid_from, valid_until);
""",
    """
CREATE INDEX IF NOT EXISTS pact_terms_value ON pact_terms(field, value, version, exporter);
""",
)

#: Table names :data:`PACT_SCHEMA` makes.
PACT_TABLES = ("pact_documents", "pact_terms")

#: Fields of :class:`PactQuery.terms`.
TERM_FIELDS = ("productid", "companyid", "classification", "geography")
#: Fields whose values few footprints share (a product's labels): a query starts from the
#: footprints with the value; for the others (a company, a country, a class: many footprints)
#: it pages through the footprints in order and looks each one's values up.
SELECTIVE = ("productid",)

#: SQL of "the footprint is Active at ``?``" over ``labels l`` and ``pact_documents c``, with
#: two ``now`` arguments: the label is valid (not suspended, revoked or superseded), not
#: renewed, and ``now`` lies in its validity (``valid_until`` exclusive).
ACTIVE = "(l.status = 'valid' AND l.renewed_by IS NULL AND c.valid_from <= ? AND ? < c.valid_until)"

#: Columns a served row has (:meth:`PactCacheTx.pact_page`, :meth:`PactCacheTx.pact_document`).
_COLUMNS = ("c.number, l.issuer, l.issued_at, l.valid_from AS label_from, l.valid_until AS label_until, l.status, "
            "l.renewed_by, (SELECT COALESCE(MAX(seq), 0) FROM labels) AS top")

#: Rows per INSERT statement (13 columns x 200 = 2,600 parameters: within SQLite's 32,766 and
#: PostgreSQL's 65,535).
_BATCH = 200

#: Largest offset handed to the database (a 64-bit integer; beyond any registry's size).
_OFFSET_MAX = 2 ** 62


def sortable_time(moment: datetime) -> str:
    """A time as fixed-width UTC text whose text order is time order:
    ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (years 0001..9999).

    Raises
    ------
    OverflowError
        ``moment`` in another time zone lies outside years 1..9999 once in UTC.
    """
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S.%f}Z"


@dataclass
class PactDocument:
    """One row of ``pact_documents`` with its filter terms (see the module docstring)."""

    number: str
    version: str
    declaration_sha256: str
    exporter: str
    seq: int
    id: str
    valid_from: str
    valid_until: str
    period_start: str | None
    period_end: str | None
    comment: str
    problem: str | None
    body: str | None
    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class PactQuery:
    """A ListFootprints query, ready for SQL (PACT v3 filters; values of one criterion OR-ed,
    criteria AND-ed).

    Attributes
    ----------
    terms : dict
        ``field -> lower-cased values`` (:data:`TERM_FIELDS`): a footprint has one of them.
    valid_on, valid_after, valid_before : list of str
        Times (:func:`sortable_time`): the footprint's PACT validity period contains each
        ``valid_on`` (ends included), starts after each ``valid_after``, ends before each
        ``valid_before``; a footprint without a period matches none.
    statuses : set of str or None
        Lower-cased ``status`` values asked for (None: any status).
    """

    terms: dict[str, list[str]] = field(default_factory=dict)
    valid_on: list[str] = field(default_factory=list)
    valid_after: list[str] = field(default_factory=list)
    valid_before: list[str] = field(default_factory=list)
    statuses: set[str] | None = None


class PactCacheTx:
    """The cache operations of a registry transaction (mixed into the store's ``Tx``).

    Statements use ``?`` placeholders and read rows by column name through :meth:`run`, which
    a store's transaction class provides (the default runs them on ``self.db``).
    """

    def run(self, sql: str, args=()):
        """Execute ``sql`` with ``args`` (a store's transaction may translate placeholders)."""
        return self.db.execute(sql, args)  # type: ignore[attr-defined]

    def pact_uncached(self, exporter: str) -> list[str]:
        """Numbers of the labels without cached documents of ``exporter`` for their current
        declaration, in label order."""
        rows = self.run("SELECT l.number AS number FROM labels l WHERE NOT EXISTS (SELECT 1 FROM pact_documents c "
                        "WHERE c.number = l.number AND c.declaration_sha256 = l.declaration_sha256 "
                        "AND c.exporter = ?) ORDER BY l.seq", (exporter,))
        return [r["number"] for r in rows]

    def put_pact_documents(self, documents: list[PactDocument]) -> None:
        """Store documents and their terms (rows already present are kept as they are), up to
        :data:`_BATCH` rows a statement (one round trip each on a database server)."""
        columns = [c for c in PactDocument.__dataclass_fields__ if c != "terms"]
        self._insert("pact_documents", columns, [[getattr(doc, c) for c in columns] for doc in documents])
        terms = [(doc.number, doc.version, doc.declaration_sha256, doc.exporter, name, value)
                 for doc in documents for name, values in doc.terms.items() for value in sorted(set(values))]
        self._insert("pact_terms", ["number", "version", "declaration_sha256", "exporter", "field", "value"], terms)

    def _insert(self, table: str, columns: list[str], rows: list) -> None:
        """``INSERT ... VALUES (...), (...) ON CONFLICT DO NOTHING`` of ``rows``, :data:`_BATCH` at a time."""
        one = "(" + ", ".join("?" * len(columns)) + ")"
        for start in range(0, len(rows), _BATCH):
            batch = rows[start:start + _BATCH]
            self.run(f"INSERT INTO {table}({', '.join(columns)}) VALUES {', '.join([one] * len(batch))} "
                     "ON CONFLICT DO NOTHING", [v for row in batch for v in row])

    def pact_page(self, version: str, exporter: str, now: str, query: PactQuery, limit: int,
                  offset: int) -> list:
        """Served rows of PACT ``version`` matching ``query``, in label order, ``limit`` rows from
        ``offset``: columns ``number, issuer, issued_at, label_from, label_until, status,
        renewed_by, top, active`` (``top``: the highest label number in the registry; ``active``:
        1 when Active at ``now``, :func:`sortable_time` text); the documents themselves come from
        :meth:`pact_bodies`. The page is chosen first, on the indexed columns (and the labels
        only for a status filter); then its rows are joined with their labels."""
        where, args = self._pact_where(version, exporter, query, now)
        labels = ("JOIN labels l ON l.number = c.number AND l.declaration_sha256 = c.declaration_sha256 "
                  if query.statuses is not None else "")  # the page needs the labels only for the status
        page = (f"SELECT c.number, c.declaration_sha256, c.seq FROM pact_documents c {labels}"
                "WHERE c.version = ? AND c.exporter = ? AND c.problem IS NULL" + "".join(where)
                + " ORDER BY c.seq LIMIT ? OFFSET ?")
        sql = (f"SELECT {_COLUMNS}, CASE WHEN {ACTIVE} THEN 1 ELSE 0 END AS active FROM ({page}) p "
               "JOIN pact_documents c ON c.number = p.number AND c.version = ? "
               "AND c.declaration_sha256 = p.declaration_sha256 AND c.exporter = ? "
               "JOIN labels l ON l.number = c.number AND l.declaration_sha256 = c.declaration_sha256 "
               "ORDER BY p.seq")
        return self.run(sql, [now, now, version, exporter, *args, max(limit, 0), min(max(offset, 0), _OFFSET_MAX),
                              version, exporter]).fetchall()

    def pact_bodies(self, version: str, exporter: str, numbers: list[str]) -> dict[str, tuple[str, str]]:
        """``number -> (body, comment)`` of served rows (:meth:`pact_page`) of PACT ``version``."""
        out = {}
        for start in range(0, len(numbers), _BATCH):
            batch = numbers[start:start + _BATCH]
            rows = self.run("SELECT c.number, c.body, c.comment FROM pact_documents c JOIN labels l "
                            "ON l.number = c.number AND l.declaration_sha256 = c.declaration_sha256 "
                            f"WHERE c.version = ? AND c.exporter = ? AND c.number IN ({', '.join('?' * len(batch))})",
                            [version, exporter, *batch])
            out.update((r["number"], (r["body"], r["comment"])) for r in rows)
        return out

    def _pact_where(self, version: str, exporter: str, query: PactQuery, now: str) -> tuple[list[str], list]:
        """``AND ...`` clauses and their arguments for :meth:`pact_page`."""
        where, args = [], []
        for name, values in query.terms.items():
            marks = ", ".join("?" * len(values))
            if name in SELECTIVE:  # few footprints have the value: start from them
                where.append(" AND (c.number, c.declaration_sha256) IN (SELECT t.number, t.declaration_sha256 "
                             f"FROM pact_terms t WHERE t.version = ? AND t.exporter = ? AND t.field = ? "
                             f"AND t.value IN ({marks}))")
                args += [version, exporter, name, *values]
            else:  # many have it: look each footprint's value up (by the primary key) while paging
                where.append(" AND EXISTS (SELECT 1 FROM pact_terms t WHERE t.number = c.number "
                             "AND t.version = c.version AND t.declaration_sha256 = c.declaration_sha256 "
                             f"AND t.exporter = c.exporter AND t.field = ? AND t.value IN ({marks}))")
                args += [name, *values]
        for op, times in (("c.period_start <= ? AND ? <= c.period_end", query.valid_on),
                          ("c.period_start > ?", query.valid_after), ("c.period_end < ?", query.valid_before)):
            for moment in times:
                where.append(f" AND c.period_start IS NOT NULL AND {op}")
                args += [moment] * op.count("?")
        if query.statuses is not None:
            wanted = query.statuses & {"active", "deprecated"}
            if not wanted:
                where.append(" AND 1 = 0")
            elif wanted != {"active", "deprecated"}:
                where.append(f" AND {'' if 'active' in wanted else 'NOT '}{ACTIVE}")
                args += [now, now]
        return where, args

    def pact_document(self, version: str, exporter: str, now: str, footprint_id: str):
        """The served row (columns as :meth:`pact_page`) of the footprint ``footprint_id``
        (lower case) in PACT ``version``, or None; its document from :meth:`pact_bodies`."""
        return self.run(f"SELECT {_COLUMNS}, CASE WHEN {ACTIVE} THEN 1 ELSE 0 END AS active "
                        "FROM pact_documents c JOIN labels l ON l.number = c.number "
                        "AND l.declaration_sha256 = c.declaration_sha256 "
                        "WHERE c.id = ? AND c.version = ? AND c.exporter = ? AND c.problem IS NULL",
                        (now, now, footprint_id, version, exporter)).fetchone()
