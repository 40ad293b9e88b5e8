"""Issuing and renewing labels.

:func:`issue` checks the result against its PCR, then in **one write transaction**: takes
the next label number, builds and signs the declaration, renders the label files into
hidden temporary files, stores the label and appends the ``label-issued`` event. Only after
the commit are the files renamed into place. So an error or a killed process leaves either
a fully issued label or nothing (no number used, no event, no visible file); if a process
dies in the instant between the commit and the renames, the label is issued and
``pcf registry export NUMBER --out DIR`` writes its files again. A Ctrl-C from the commit to
the renames waits for them (:func:`deferred_interrupt`; a second one at once); a rename that
fails, or a second Ctrl-C, leaves no temporary file and its error names the label and that
command.
"""

from __future__ import annotations

import calendar
import contextlib
import hashlib
import math
import shutil
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import pcf
from pcf.declaration import Declaration
from pcf.core.files import StagedFiles, stem_problem
from pcf.pcr.assessment import Assessment, LabelRule

from ..core.canonical import canonical_bytes
from .cases import SELF_DECLARED, signed_case_for
from .chain import append_event
from .declaration import (MAX_VALID_DAYS, build_label_document, document_text, iso, parse_document, parse_time,
                          sign, utc_now)
from .errors import IssueRefused, LabelNotFound, RegistryError, StatusChangeRefused
from .keys import SigningKey, b64url, raw_public
from .numbers import format_number
from .roles import require_key
from .store import LabelRecord, Store, Tx, label_scope
from .token import make_token


@dataclass
class Issued:
    """An issued label.

    Attributes
    ----------
    number : str
        Label number.
    document : dict
        The signed declaration.
    record : LabelRecord
        The registry row.
    qr : str
        Text of the label's QR code (verification URL or token).
    token : str
        The compact signed token.
    files : dict of str to Path
        Kind (``declaration.json``, ``label.svg``, ``label.pdf``, ``statement.pdf``) -> file written.
    """

    number: str
    document: dict
    record: LabelRecord
    qr: str
    token: str
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def marks(self) -> list[str]:
        """The label type and marks it prints (reduction, low-carbon); empty for a plain footprint label."""
        from .labeltype import marks

        return marks(self.document["declaration"])


def _assess(declaration: Declaration, pcr) -> Assessment:
    """The PCR assessment of a declaration's result, as :mod:`pcf.pcr` makes it today."""
    from pcf.declaration import build_declaration

    return build_declaration(declaration.result, pcr).assessment


def check_conformance(declaration: Declaration, pcr_dir: str | Path | None = None) -> Declaration:
    """Re-assess a declaration against the current file of its PCR; it must conform.

    Parameters
    ----------
    declaration : pcf.declaration.Declaration
        A result as ``pcf footprint`` wrote it (:func:`pcf.declaration.read_declaration`),
        with its assessment, or at least ``study.pcr``.
    pcr_dir : str or Path, optional
        Folder of PCR files [default ``pcr_rules/``].

    Returns
    -------
    pcf.declaration.Declaration
        The declaration under the PCR as it is today: the fresh assessment and the PCR's
        accounting rule (its declared figure is the one the label states).

    Raises
    ------
    IssueRefused
        The result names no PCR, does not conform (the nonconformities are listed), its
        declared figure is not the one the PCR declares today, or its stored assessment
        disagrees with the fresh one (recompute it).
    PCRError
        The PCR file is missing or invalid.
    """
    return _conformance(declaration, pcr_dir)[0]


def _conformance(declaration: Declaration, pcr_dir: str | Path | None):
    """:func:`check_conformance`'s declaration, with the PCR it was checked against and the id (or path)
    that PCR was loaded by."""
    from pcf.declaration.accounting import rule_for
    from pcf.pcr import load_pcr

    stored = declaration.assessment
    pcr_id = (stored.pcr.id if stored is not None else None) or declaration.result.study.pcr
    if not pcr_id:
        raise IssueRefused("the result names no PCR (study.pcr): a label is only issued against a PCR; "
                           "set study.pcr in the model and recompute with `pcf footprint`")
    pcr = load_pcr(pcr_id, pcr_dir)
    fresh = _assess(declaration, pcr)
    version = fresh.pcr.version
    if not fresh.conforms:
        lines = "".join(f"\n  - {f.rule} ({f.clause or ''}): {f.message}" for f in fresh.nonconformities)
        raise IssueRefused(f"the result does not conform to PCR {pcr_id} v{version}, one nonconformity a line:"
                           f"{lines}\nFix the model (see `pcf check MODEL`) and recompute")
    today = declaration.replace(assessment=fresh, accounting=rule_for(pcr, declaration.result.study.standard))
    if declaration.result.totals is not None:
        per = "declared_unit" if declaration.result.product.declared_unit is not None else "reference_flow"
        stated, figure = declaration.declared_value(per), today.declared_value(per)
        if figure is None or not math.isclose(stated, figure, rel_tol=1e-9, abs_tol=1e-12):
            raise IssueRefused(f"the result's declared figure ({stated!r}) differs from the one PCR {pcr_id} "
                               f"v{version} declares today ({figure!r}, {today.accounting.declared_total}): "
                               "recompute the result with `pcf footprint`")
    if stored is not None:
        if stored.conforms is not True or declaration.graded_class != today.graded_class:
            raise IssueRefused(f"the assessment stored in the result (conforms {stored.conforms}, class "
                               f"{declaration.graded_class}) differs from PCR {pcr_id} v{version} today (conforms, "
                               f"class {today.graded_class}): recompute the result with `pcf footprint`")
    return today, pcr, pcr_id


def _valid_days(valid_days: int) -> int:
    if isinstance(valid_days, bool) or not isinstance(valid_days, int) or not 1 <= valid_days <= MAX_VALID_DAYS:
        raise IssueRefused(f"validity period {valid_days!r}: give a whole number of days from 1 to "
                           f"{MAX_VALID_DAYS} (Carbon Trust labels run 730 days)").about("valid_days")
    return valid_days


def add_years(moment: datetime, years: float) -> datetime:
    """``moment`` plus ``years`` calendar years.

    A whole number of months (``years * 12``, e.g. 2 or 1.5 years) is added on the calendar:
    2026-05-01 + 2 years = 2028-05-01 (731 days: 2028 is a leap year); a day that the target
    month lacks becomes its last day (2028-02-29 + 1 year = 2029-02-28). Other fractions are
    ``floor(years x 365.25)`` days.
    """
    months = years * 12
    if abs(months - round(months)) < 1e-9:
        index = moment.month - 1 + round(months)
        year, month = moment.year + index // 12, index % 12 + 1
        return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))
    return moment + timedelta(days=math.floor(years * 365.25))


def validity_from_pcr(valid_days: int | None, rule: LabelRule | None, pcr: str, now: datetime) -> int:
    """The validity period of a label [days]: the PCR's ``label.validity_years`` is the default
    and the maximum.

    Parameters
    ----------
    valid_days : int or None
        The period asked for [days]; None takes the PCR's.
    rule : pcf.pcr.assessment.LabelRule or None
        The PCR's label rule (``validity_years`` [years], ``clause``: its source).
    pcr : str
        ``id vVERSION`` of the PCR, for messages.
    now : datetime
        Time of issue: the PCR's period runs from it on the calendar (:func:`add_years`).

    Returns
    -------
    int
        Days from ``now`` to ``valid_until``.

    Raises
    ------
    IssueRefused
        Longer than the PCR allows (the message gives its value and clause), not a whole number
        of days from 1 to 3650, or None when the PCR states no validity period.
    """
    years = rule.validity_years if rule is not None else None
    if years is None:
        if valid_days is None:
            raise IssueRefused(f"PCR {pcr} states no validity period (label.validity_years): give the label's "
                               f"validity in days, 1 to {MAX_VALID_DAYS}").about("valid_days")
        return _valid_days(valid_days)
    end = add_years(now, years)
    most = (end - now).days
    if valid_days is None:
        return most
    _valid_days(valid_days)
    if valid_days > most:
        raise IssueRefused(f"validity period {valid_days} days is longer than PCR {pcr} allows: label.validity_years "
                           f"{years:g} ({' '.join(rule.clause.split())}), i.e. at most {most} days (from {iso(now)} "
                           f"to {iso(end)}); give at most {most} days or leave it out to take the PCR's"
                           ).about("valid_days")
    return valid_days


def _usable_key(tx: Tx, key: SigningKey, now: datetime) -> str:
    """The issuer of a registered issuer key, current at ``now``."""
    return require_key(tx, key, ("issuer",), now, "issue labels", error=IssueRefused).issuer


def _prepare_out(out_dir: str | Path | None) -> tuple[Path | None, bool]:
    """The output folder, created when missing; and whether it was created (to remove it on failure)."""
    if out_dir is None:
        return None, False
    out = Path(out_dir)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RegistryError(f"output folder {out} cannot be created ({exc.strerror}): choose another "
                            "folder").about("out_dir") from None
    return out, created


def _insert(tx: Tx, make: Callable[[str, str | None], dict], key: SigningKey, now: datetime,
            renews: str | None, supersedes: str | None) -> tuple[LabelRecord, dict, str]:
    """Number, build (``make(number, url)``), sign and store a label and its event inside ``tx``."""
    prefix = tx.setting("prefix") or "PCF"
    base = tx.setting("url")
    seq = tx.next_label_seq()
    number = format_number(prefix, now.year, seq)
    url = f"{base.rstrip('/')}/{number}.html" if base else None
    declaration = make(number, url)
    document = sign(declaration, key)
    token = make_token(declaration, document["declaration_sha256"], key)
    _, pcr_id, declared_unit, label_type = label_scope(declaration)
    record = LabelRecord(
        number=number, seq=seq, issuer=declaration["issuer"]["name"], key_id=key.key_id,
        product_id=declaration["product"]["id"], product_name=declaration["product"]["name"],
        issued_at=declaration["issued_at"], valid_from=declaration["valid_from"],
        valid_until=declaration["valid_until"], status="valid", status_at=declaration["issued_at"],
        declaration_sha256=document["declaration_sha256"], document=document_text(document), token=token,
        renews=renews, supersedes=supersedes, result_sha256=declaration["result_sha256"], pcr_id=pcr_id,
        declared_unit=declared_unit, label_type=label_type)
    tx.insert_label(record)
    append_event(tx, "label-issued", number, {
        "seq": seq, "issuer": record.issuer, "key_id": key.key_id, "product_id": record.product_id,
        "declaration_sha256": record.declaration_sha256, "valid_from": record.valid_from,
        "valid_until": record.valid_until, "renews": renews, "supersedes": supersedes}, record.issued_at, key)
    return record, document, url or token


@dataclass
class _Plan:
    """What an issue or a renewal must check inside its transaction, and link after the insert.

    ``scope``: (product id, PCR id, declared unit, label type) of the new label; ``result_sha256``: its
    result's; ``new_result``: refuse a result labelled before (a plain issue); ``supersede``:
    the label it replaces; ``renews``, ``reason``, ``justification``: of a renewal.
    """

    scope: tuple[str, str, str, str]
    result_sha256: str
    new_result: bool = True
    supersede: str | None = None
    renews: str | None = None
    reason: str | None = None
    justification: str | None = None


def _check_result(tx: Tx, plan: _Plan) -> None:
    """One label per result and label type (a new generation's result gets its footprint label
    and its reduction label); a revoked label's result is never labelled again unchanged."""
    for label in tx.labels_of_result(plan.result_sha256):
        if label.status == "revoked":
            raise IssueRefused(f"this result (SHA-256 {plan.result_sha256[:16]}...) was labelled {label.number}, "
                               "which is revoked: the result of a revoked label is not labelled again unchanged; "
                               "correct the data, recompute with `pcf footprint` and issue the new result")
        if plan.new_result and label.label_type == plan.scope[3]:
            kind = "" if label.label_type == "footprint" else f" {label.label_type}"
            raise IssueRefused(f"this result (SHA-256 {plan.result_sha256[:16]}...) was already issued as "
                               f"{label.number} ({label.status}): one{kind} label per result; to extend its "
                               f"validity renew that label (`pcf renew {label.number}`)")


def _scope_text(scope: tuple[str, str, str, str]) -> str:
    kind = "" if scope[3] == "footprint" else f" ({scope[3]} label)"
    return f"product {scope[0]!r} under PCR {scope[1]} per {scope[2]}{kind}"


def _check_one_current(tx: Tx, plan: _Plan, at: str, issuer: str) -> None:
    """A product (id + PCR + declared unit) has one current label of each type: the new one
    may only replace it, named as ``plan.supersede``."""
    current = [label for label in tx.labels_of_product(plan.scope[0])
               if label.scope == plan.scope and label.current(at)]
    if plan.supersede is None:
        if current:
            old = current[0]
            raise IssueRefused(f"{_scope_text(plan.scope)} already has a current label, {old.number} ({old.status}, "
                               f"valid until {old.valid_until}); a product has one current label: supersede "
                               f"{old.number} with the new one, or revoke it first").about("supersede")
        return
    target = tx.label(plan.supersede)
    if target is None:
        raise LabelNotFound(f"no label {plan.supersede} in the registry to supersede; check the number "
                            "(`pcf registry list`)")
    if target.scope != plan.scope:
        raise IssueRefused(f"label {target.number} is for {_scope_text(target.scope)}, the result for "
                           f"{_scope_text(plan.scope)}: only a label of the same product, PCR and declared unit "
                           "is superseded").about("supersede")
    if target.status not in ("valid", "suspended") or target.superseded_by or target.renewed_by:
        later = target.superseded_by or target.renewed_by
        raise IssueRefused(f"label {target.number} is {target.status}"
                           + (f" (replaced by {later})" if later else "") + ": it cannot be superseded"
                           ).about("supersede")
    if target.issuer != issuer:
        raise IssueRefused(f"label {target.number} was issued by {target.issuer}: only a key of {target.issuer} "
                           f"supersedes it (this key is {issuer}'s)").about("supersede")
    others = [label.number for label in current if label.number != target.number]
    if others:
        raise IssueRefused(f"{_scope_text(plan.scope)} has another current label, {', '.join(others)}: supersede "
                           "that one, or revoke it first").about("supersede")


def _link(tx: Tx, plan: _Plan, record: LabelRecord, key: SigningKey) -> None:
    """The old label's side of a supersession or renewal, with its events."""
    if plan.supersede is not None:
        tx.set_superseded(plan.supersede, record.number, record.issued_at)
        append_event(tx, "label-superseded", plan.supersede, {"superseded_by": record.number}, record.issued_at, key)
    if plan.renews is not None:
        tx.set_renewed_by(plan.renews, record.number)
        data = {"reason": plan.reason, "renewed_by": record.number}
        if plan.justification is not None:
            data["justification"] = plan.justification
        append_event(tx, "label-renewed", plan.renews, data, record.issued_at, key)


def _issue(store: Store, make, key: SigningKey, out_dir, now: datetime | None, plan: _Plan, *,
           render: bool = True, extra: Callable[[Tx, datetime], dict] | None = None,
           vouch: Callable[[Tx, str], dict | None] | None = None) -> Issued:
    """The transaction of :func:`issue` and :func:`renew` (see the module docstring); ``extra(tx,
    now)``, checked inside the transaction, gives keys added to the label document (a claim).

    ``vouch(tx, issuer)`` gives the declaration's ``verification`` (a signed case checked for
    four eyes, or self-declared) or raises :class:`IssueRefused`; None leaves it as ``make`` has it."""
    out, created = _prepare_out(out_dir)
    now = (now or utc_now()).replace(microsecond=0)
    staged: StagedFiles | None = None
    held = contextlib.ExitStack()  # from the registry's commit to the renames
    try:
        with store.write() as tx:
            issuer = _usable_key(tx, key, now)
            if plan.renews is not None:
                _check_renewable(tx, plan.renews, plan.scope)
            added = extra(tx, now) if extra is not None else {}  # a claim's own refusals first
            _check_result(tx, plan)
            _check_one_current(tx, plan, iso(now), issuer)
            checked = vouch(tx, issuer) if vouch is not None else None
            if checked is not None:
                added = {**added, "verification": checked}
            record, document, qr = _insert(
                tx, lambda number, url: {**make(number, url, issuer, now, plan.supersede), **added}, key, now,
                plan.renews, plan.supersede)
            _link(tx, plan, record, key)
            if out is not None:
                if render:
                    from .render import issued_files

                    contents = issued_files(document, qr)
                else:
                    contents = {f"{record.number}.declaration.json": document_text(document).encode("utf-8")}
                staged = StagedFiles({out / name: data for name, data in contents.items()}).stage()
            # from the commit (at the block's end) to the renames a Ctrl-C waits: a label committed gets its files
            interrupted = held.enter_context(deferred_interrupt())
    except BaseException as exc:
        held.close()
        if staged:
            staged.discard()
        if created:
            shutil.rmtree(out, ignore_errors=True)
        if isinstance(exc, OSError):
            raise RegistryError(f"cannot write the label files in {out} ({exc.strerror}); nothing was "
                                "issued") from None
        raise
    with held:
        files = _put_in_place(staged, record.number, out) if staged is not None else {}
    try:
        interrupted()  # a Ctrl-C in the commit or the renames: said now, the label has its files
    except KeyboardInterrupt:
        where = f", its files in {out}" if files else ""
        raise KeyboardInterrupt(f"label {record.number} is issued{where}") from None
    return Issued(record.number, document, record, qr, record.token, files)


def _put_in_place(staged: StagedFiles, number: str, out: Path) -> dict[str, Path]:
    """The staged files of label ``number``, committed to the registry, renamed into ``out``: kind ->
    path. A rename that fails (a full disk, a folder of that name, a second Ctrl-C) leaves no temporary
    file (:meth:`StagedFiles.commit`) and raises, as :mod:`pcf.registry.bulk` does, what the label is
    and how to write its files.

    Raises
    ------
    RegistryError
        A file could not be renamed (an OSError).
    KeyboardInterrupt
        A Ctrl-C (after another: :func:`deferred_interrupt`).
    """
    try:
        return {path.name[len(number) + 1:]: path for path in staged.commit()}
    except (OSError, KeyboardInterrupt) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "interrupted"
        told = (f"label {number} is issued, but its files were not all written in {out} ({why}): write them "
                f"with `pcf registry export {number} --out {out}`")
        if isinstance(exc, KeyboardInterrupt):
            raise KeyboardInterrupt(told) from None
        raise RegistryError(told) from None


class Deferral:
    """What :func:`deferred_interrupt` yields: called, it raises KeyboardInterrupt if Ctrl-C came.

    Attributes
    ----------
    told : list of int
        The Ctrl-Cs (signal numbers) received so far.
    holding : bool
        Inside :meth:`held`: a second Ctrl-C too waits for the block's end.
    """

    def __init__(self):
        self.told: list[int] = []
        self.holding = False

    def __call__(self) -> None:
        if self.told:
            raise KeyboardInterrupt

    @property
    def again(self) -> bool:
        """A second Ctrl-C came: the caller stops at once (waits for nothing more)."""
        return len(self.told) >= 2

    @contextlib.contextmanager
    def held(self):
        """Hold even a second Ctrl-C for the block (a label committed and handed on, ``pcf issue FOLDER``),
        raised at its end."""
        self.holding = True
        try:
            yield
        finally:
            self.holding = False
        if self.again:
            raise KeyboardInterrupt


@contextlib.contextmanager
def deferred_interrupt():
    """Ctrl-C while a committed label is not yet handed on (in the main thread, Python's own SIGINT handler
    in place): remembered, and raised as KeyboardInterrupt by the :class:`Deferral` this yields, called where
    it can be (between two labels, once a label's files are in place; it still raises after the block),
    so that a label committed to the registry is never left without its files (a Ctrl-C in the commit
    lost them). A second Ctrl-C is raised at once, except inside :meth:`Deferral.held`. Elsewhere (another
    thread, or a handler of the caller's, such as this one deferring already) it defers nothing."""
    import signal

    deferral = Deferral()
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield deferral  # nothing arrives here: its handler is not installed
        return

    def remember(signum, frame):
        deferral.told.append(signum)
        if deferral.again and not deferral.holding:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, remember)
    try:
        yield deferral
    finally:
        signal.signal(signal.SIGINT, previous)


def _result_sha256(declaration: Declaration) -> str:
    """SHA-256 of the canonical JSON (RFC 8785) of the result file as ``pcf footprint`` wrote it."""
    return hashlib.sha256(canonical_bytes(declaration.to_json())).hexdigest()


def _marks(today: Declaration, pcr_dir: str | Path | None, rule=None) -> dict | None:
    """The low-carbon mark of a label for ``today`` under its PCR (:func:`labeltype.low_carbon_mark`);
    ``rule``: that PCR, loaded already (None: loaded by its id)."""
    from pcf.pcr import load_pcr

    from .labeltype import low_carbon_mark

    return low_carbon_mark(today, rule if rule is not None else load_pcr(today.assessment.pcr.id, pcr_dir))


def _claim(today: Declaration, claim: str | None, baseline_label: str | None, measures) -> Callable | None:
    """The in-transaction check of a reduction label (``extra`` of :func:`_issue`), or None for a footprint label."""
    from .labeltype import LABEL_TYPES, REDUCTION, read_measures, reduction_claim
    from .numbers import parse_number

    if claim is None or claim == "footprint":
        if baseline_label is not None or measures is not None:
            raise IssueRefused("a baseline label and a measures report go with a reduction label: add "
                               "claim reduction").about("claim")
        return None
    if claim != REDUCTION:
        raise IssueRefused(f"unknown label type {claim!r}; use one of {', '.join(LABEL_TYPES)} (carbon-neutral "
                           "labels are not offered: docs/registry.md)").about("claim")
    if not baseline_label:
        raise IssueRefused("a reduction label needs the earlier label it is stated against: give the baseline "
                           "label number").about("baseline_label")
    if measures is None:
        raise IssueRefused("a reduction label needs the report of the reduction measures (the CQC rule): give "
                           "the measures file").about("measures")
    number = parse_number(baseline_label).text
    kept = read_measures(measures)
    return lambda tx, now: {"claim": reduction_claim(tx, today, number, kept, now)}


def issue(store: Store, declaration: Declaration, key: SigningKey, valid_days: int | None = None,
          out_dir: str | Path | None = None, *, now: datetime | None = None, render: bool = True,
          pcr_dir: str | Path | None = None, claim: str | None = None, baseline_label: str | None = None,
          measures: str | Path | None = None, self_declared: bool = False,
          supersede: str | None = None) -> Issued:
    """Issue a label for a conforming declaration that a verifier checked (a signed case).

    Unless ``self_declared``, the registry must hold a signed verification case
    (:mod:`pcf.registry.cases`) for the same result hash, and the issuing key must be neither
    the key that signed it nor a key of the case's verifier (four eyes); the declaration's
    ``verification`` names the case, verifier and opinion. A self-declared label states
    ``{"kind": "self-declared"}`` and is drawn visibly differently.

    A product (product id + PCR + declared unit) has one current label (valid or suspended,
    not expired, superseded or renewed): while it has one, a new label is only issued to
    replace it, named by ``supersede``; that label becomes ``superseded`` (linked both ways:
    ``superseded_by`` on it, ``supersedes`` in the new declaration, a ``label-superseded``
    event). A result is labelled once (by its SHA-256): the same result again is refused, and
    so is the result of a revoked label.

    Parameters
    ----------
    store : Store
        The registry.
    declaration : pcf.declaration.Declaration
        A result whose assessment conforms to its PCR (:func:`pcf.declaration.read_declaration`).
    key : SigningKey
        A registered, current issuer key (:func:`pcf.registry.keys.load_signing_key`).
    valid_days : int, optional
        Validity period [days], 1 to 3650 and at most the PCR's ``label.validity_years``
        (:func:`validity_from_pcr`); default the PCR's.
    out_dir : str or Path, optional
        Where to write ``<number>.declaration.json``, ``.label.svg``, ``.label.pdf`` and
        ``.statement.pdf``; None writes nothing.
    now : datetime, optional
        Time of issue (UTC) [default: now].
    render : bool
        With ``out_dir``: also render the label and statement [default True]; False writes
        only the declaration.
    pcr_dir : str or Path, optional
        Folder of PCR files [default ``pcr_rules/``].
    claim : {None, "footprint", "reduction"}
        The label type [default footprint]; a reduction label needs ``baseline_label`` and
        ``measures`` (:mod:`pcf.registry.labeltype`).
    baseline_label : str, optional
        Reduction label: the earlier label of the product the reduction is stated against.
    measures : str or Path, optional
        Reduction label: the reduction-measures report (kept by SHA-256 in the label).
    self_declared : bool
        Issue without a verification case, as a self-declared label [default False].
    supersede : str, optional
        The product's current label, which the new one replaces.

    Returns
    -------
    Issued
        ``files`` keys: ``declaration.json``, ``label.svg``, ``label.pdf``, ``statement.pdf``.
        A label whose declared figure is below the PCR's ``label.low_carbon_limit`` carries
        the low-carbon mark.

    Raises
    ------
    IssueRefused
        A product id or scenario name the label's files cannot have (:func:`pcf.core.files.stem_problem`),
        nonconforming result, no PCR, unknown or retired key, bad validity (longer than the
        PCR's, or none given when the PCR states none); a reduction label whose conditions
        are not met (:func:`pcf.registry.labeltype.reduction_claim`); the product has a
        current label and ``supersede`` does not name it; the result was labelled before.
    LabelNotFound
        No baseline label with that number; ``supersede`` names no label.
        No signed verification case for the result; the key signed the case or is its
        verifier's (four eyes).
    RenderError, RegistryError
        Rendering or writing failed; nothing was issued.
    """
    now = (now or utc_now()).replace(microsecond=0)
    _check_file_names(declaration)
    today, rule, loaded_by = _conformance(declaration, pcr_dir)
    pcr = today.assessment.pcr
    valid_days = validity_from_pcr(valid_days, today.assessment.label, f"{pcr.id} v{pcr.version}", now)
    extra = _claim(today, claim, baseline_label, measures)
    if extra is not None and self_declared:
        raise IssueRefused("a reduction label is certified: it needs a signed verification case of the result, "
                           "it is never self-declared").about("self_declared")
    result_sha256 = _result_sha256(declaration)
    # the PCR file just read, unless _marks would read another one (loaded by a path, not by this id)
    low_carbon = _marks(today, pcr_dir, rule if loaded_by == pcr.id else None)

    def make(number, url, issuer, now, supersedes):
        return build_label_document(today, number=number, key=key, issuer=issuer, issued_at=now,
                                    valid_days=valid_days, url=url, result_sha256=result_sha256,
                                    low_carbon=low_carbon, supersedes=supersedes)

    def vouch(tx, issuer):
        return dict(SELF_DECLARED) if self_declared else signed_case_for(tx, result_sha256, key, issuer)

    plan = _Plan(scope=_scope_of(today, "footprint" if extra is None else claim), result_sha256=result_sha256,
                 supersede=supersede)
    return _issue(store, make, key, out_dir, now, plan, render=render, extra=extra, vouch=vouch)


def _check_file_names(declaration: Declaration) -> None:
    """Refuse a result whose product id or scenario name the label's rendering refuses
    (:func:`pcf.core.files.stem_problem`), before a number is taken: ``pcf issue FOLDER`` draws after the
    commit, and such a label would never get its files.

    Raises
    ------
    IssueRefused
        With the rendering's message.
    """
    scenario = declaration.result.scenario
    problem = stem_problem(declaration.result.product.id, None if scenario is None else scenario.name)
    if problem is not None:
        raise IssueRefused(problem)


def _scope_of(declaration: Declaration, label_type: str = "footprint") -> tuple[str, str, str, str]:
    """(product id, PCR id, declared unit, label type) of an assessed declaration (:func:`label_scope`)."""
    product = declaration.result.product
    du = product.declared_unit
    return label_scope({"product": {"id": product.id, "declared_unit": None if du is None else {"unit": str(du.unit)},
                                    "reference_flow": {"amount": float(product.reference_flow.amount),
                                                       "unit": str(product.reference_flow.unit)}},
                        "pcr": {"id": declaration.assessment.pcr.id}, "claim": {"type": label_type}})


def _check_renewable(tx: Tx, number: str, scope: tuple[str, str, str, str] | None) -> LabelRecord:
    old = tx.label(number)
    if old is None:
        raise LabelNotFound(f"no label {number} in the registry; check the number (`pcf registry list`)")
    if old.status != "valid":
        raise StatusChangeRefused(f"label {number} is {old.status}: only a valid (or expired) label can be renewed"
                                  + ("; reinstate it first" if old.status == "suspended" else "")
                                  + (f"; renew {old.superseded_by}" if old.superseded_by else ""))
    if old.renewed_by:
        raise StatusChangeRefused(f"label {number} was already renewed by {old.renewed_by}; renew that one")
    if scope is not None and scope != old.scope:
        raise StatusChangeRefused(f"label {number} is for {_scope_text(old.scope)}, the result for "
                                  f"{_scope_text(scope)}: issue a new label instead")
    return old


def _period(period: dict | None) -> str:
    return f"{period['start']} – {period['end']}" if period else "not stated"


def _newer_data(number: str, old: dict | None, new: dict | None, same_data: bool) -> str | None:
    """Why a renewal's data are not newer than the old label's (None when they are).

    ``old``, ``new``: ``{start, end}`` reference periods (ISO dates); newer means ``new.end``
    after ``old.end``.
    """
    if same_data:
        return (f"a renewal without a new result repeats label {number}'s data (reference period "
                f"{_period(old)})")
    if not old:
        return (f"label {number} states no data reference period (the model's exchange.reference_period), so "
                "newer data cannot be shown")
    if not new:
        return "the result states no data reference period (the model's exchange.reference_period)"
    if parse_time(new["end"]) <= parse_time(old["end"]):
        return (f"the result's data reference period ({_period(new)}) does not end after label {number}'s "
                f"({_period(old)})")
    return None


def _justification(text: str | None) -> str | None:
    if text is None:
        return None
    if not isinstance(text, str) or not text.strip():
        raise StatusChangeRefused("the justification is empty; say why the label is renewed without newer "
                                  "data").about("justification")
    if len(text) > 2000:
        raise StatusChangeRefused("the justification is longer than 2000 characters; shorten it").about("justification")
    return " ".join(text.split())


def renew(store: Store, number: str, key: SigningKey, valid_days: int | None, reason: str,
          out_dir: str | Path | None = None, declaration: Declaration | None = None, *,
          now: datetime | None = None, render: bool = True, pcr_dir: str | Path | None = None,
          justification: str | None = None) -> Issued:
    """Renew a label: a new number and validity period, which supersedes the old label.

    A renewal needs newer data: a recomputed result whose data reference period
    (``exchange.reference_period``) ends after the old label's, else a ``justification``
    (kept in the ``label-renewed`` event and in the new declaration, so its page and
    statement show it). The old label becomes ``superseded`` by the renewal (it no longer
    verifies) and records ``renewed_by``; the new declaration names it (``renews``,
    ``supersedes``).

    Parameters
    ----------
    number : str
        The label to renew (valid or expired; not suspended, revoked, superseded or already
        renewed).
    key : SigningKey
        A registered, current key (it may differ from the old label's after a key rotation).
    valid_days : int or None
        Validity of the renewal [days]; at most, and by default, the PCR's
        ``label.validity_years`` (:func:`validity_from_pcr`).
    reason : str
        Why (logged).
    declaration : pcf.declaration.Declaration, optional
        A recomputed result of the same product, PCR and declared unit, checked against its
        PCR; default: the old label document's content, unchanged but for number, issuer key,
        dates, ``renews``, ``supersedes`` and ``justification`` (which it then needs).
    justification : str, optional
        Why the renewal keeps data no newer than the old label's (up to 2000 characters).

    Returns
    -------
    Issued

    Raises
    ------
    LabelNotFound, StatusChangeRefused
        No such label, or its status does not allow a renewal.
    IssueRefused
        No newer data and no justification; another current label of the product; the
        result of a revoked label; bad validity; a nonconforming result.
    """
    reason, justification = _reason(reason), _justification(justification)
    now = (now or utc_now()).replace(microsecond=0)
    with store.read() as tx:
        old = _check_renewable(tx, number, None)  # again in the write transaction
    previous = parse_document(old.document, f"registry label {number}")["declaration"]
    if declaration is None:
        valid_days = _renewal_days(valid_days, previous["pcr"]["id"], pcr_dir, now)
        period, scope, result_sha256 = previous.get("reference_period"), old.scope, previous["result_sha256"]

        def make(new_number, url, issuer, now, supersedes):
            made = {k: v for k, v in previous.items() if k not in ("supersedes", "justification")}
            return {**made, "label_number": new_number, "renews": number, "verification_url": url,
                    "issuer": {"name": issuer, "key_id": key.key_id,
                               "public_key": b64url(raw_public(key.public_key))},
                    "issued_at": iso(now), "valid_from": iso(now),
                    "valid_until": iso(now + timedelta(days=valid_days)),
                    "software": {**previous.get("software", {}), "issue": pcf.__version__},
                    "supersedes": supersedes, **({"justification": justification} if justification else {})}
    else:
        _renewable_with_result(store, number)
        today = check_conformance(declaration, pcr_dir)
        pcr = today.assessment.pcr
        valid_days = validity_from_pcr(valid_days, today.assessment.label, f"{pcr.id} v{pcr.version}", now)
        period, scope, result_sha256 = today.result.exchange.reference_period, _scope_of(today), \
            _result_sha256(declaration)
        low_carbon = _marks(today, pcr_dir)

        def make(new_number, url, issuer, now, supersedes):
            return build_label_document(today, number=new_number, key=key, issuer=issuer, issued_at=now,
                                        valid_days=valid_days, url=url, renews=number, result_sha256=result_sha256,
                                        low_carbon=low_carbon, supersedes=supersedes, justification=justification)

    not_newer = _newer_data(number, previous.get("reference_period"), period, declaration is None)
    if not_newer and justification is None:
        raise IssueRefused(f"{not_newer}: a renewal needs newer footprint data (a recomputed result whose reference "
                           "period ends later), or a justification, which is recorded and shown on the label's "
                           "page and statement").about("justification")
    plan = _Plan(scope=scope, result_sha256=result_sha256, new_result=False, supersede=number, renews=number,
                 reason=reason, justification=justification)
    vouch = _renewal_vouch(number, key, None if declaration is None else result_sha256)
    return _issue(store, make, key, out_dir, now, plan, render=render, vouch=vouch)


def _renewal_vouch(number: str, key: SigningKey, new_result: str | None) -> Callable[[Tx, str], dict | None]:
    """The ``verification`` of a renewal (see :func:`_issue`): with a new result, a signed case for it
    (self-declared when the old label was); without, the old label's, checked for four eyes."""
    def vouch(tx: Tx, issuer: str) -> dict | None:
        old = tx.label(number)
        previous = None if old is None else parse_document(old.document, f"registry label {number}")["declaration"]
        before = (previous or {}).get("verification")
        if new_result is not None:
            if before is not None and before["kind"] == "self-declared":
                return dict(SELF_DECLARED)
            return signed_case_for(tx, new_result, key, issuer)
        if before is not None and before["kind"] == "third-party" and (
                key.key_id == before["key_id"] or issuer == before["verifier"]):
            raise IssueRefused(f"four eyes: key {key.key_id} ({issuer}) signed or belongs to the verifier of "
                               f"verification case {before['case']} behind label {number}; renew it with another "
                               "person's issuer key")
        return None
    return vouch


def _renewal_days(valid_days: int | None, pcr_id: str, pcr_dir, now: datetime) -> int:
    """:func:`validity_from_pcr` under the current file of the PCR a label was issued against."""
    from pcf.pcr import load_pcr

    pcr = load_pcr(pcr_id, pcr_dir)
    rule = None if pcr.label is None else LabelRule(validity_years=pcr.label.validity_years,
                                                    clause=pcr.label.clause, confidence=pcr.label.confidence,
                                                    note=pcr.label.note)
    return validity_from_pcr(valid_days, rule, f"{pcr.id} v{pcr.version}", now)


def _renewable_with_result(store: Store, number: str) -> None:
    """A reduction label's claim is tied to its result: renewed with a new result, it would lose it."""
    from .labeltype import FOOTPRINT, record_type

    with store.read() as tx:
        old = tx.label(number)
    if old is not None and record_type(old) != FOOTPRINT:
        raise IssueRefused(f"label {number} is a {record_type(old)} label: renew it without a new result (the same "
                           "claim, a new validity period), or issue a new reduction label for the new result")


def _reason(reason: str | None) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise StatusChangeRefused("give a reason; it is kept in the registry's event log").about("reason")
    if len(reason) > 2000:
        raise StatusChangeRefused("the reason is longer than 2000 characters; shorten it")
    return reason.strip()


_TRANSITIONS = {
    "suspend": ({"valid"}, "suspended", "label-suspended"),
    "reinstate": ({"suspended"}, "valid", "label-reinstated"),
    "revoke": ({"valid", "suspended"}, "revoked", "label-revoked"),
}


def change_status(store: Store, number: str, action: str, reason: str, key: SigningKey, *,
                  now: datetime | None = None) -> LabelRecord:
    """Suspend, reinstate or revoke a label, with a reason, in an event signed by ``key``.

    ``suspend``: valid -> suspended (temporarily not valid); ``reinstate``: suspended ->
    valid; ``revoke``: valid or suspended -> revoked, for good (the database refuses any
    later change of a revoked label's status, and verification looks for the revocation
    event too).

    Parameters
    ----------
    action : {"suspend", "reinstate", "revoke"}
    reason : str
        Why (kept in the event log; not published).
    key : SigningKey
        Signs the event: an admin key, or a current key of the label's issuer.

    Returns
    -------
    LabelRecord
        The label after the change.

    Raises
    ------
    LabelNotFound
    StatusChangeRefused
        The label's status does not allow the action (e.g. a revoked label), or no reason.
    KeyNotAllowed
        ``key`` may not sign the change (not registered, retired, a verifier key, or an
        issuer key of another issuer).
    """
    if action not in _TRANSITIONS:
        raise RegistryError(f"unknown status change {action!r}: suspend, reinstate or revoke")
    allowed, target, kind = _TRANSITIONS[action]
    reason = _reason(reason)
    at = iso(now or utc_now())
    with store.write() as tx:
        label = tx.label(number)
        if label is None:
            raise LabelNotFound(f"no label {number} in the registry; check the number (`pcf registry list`)")
        if label.status not in allowed:
            raise StatusChangeRefused(f"label {number} is {label.status}; it cannot be {target} "
                                      + ("(a revoked label stays revoked)" if label.status == "revoked" else
                                         f"(only a {' or '.join(sorted(allowed))} label can)"))
        tx.set_status(number, target, reason, at)
        append_event(tx, kind, number, {"reason": reason}, at, key)
        return tx.label(number)


def export(store: Store, number: str, out_dir: str | Path, qr: str | None = None) -> dict[str, Path]:
    """Write the files of an issued label again from the registry (same declaration and signature).

    Parameters
    ----------
    qr : str, optional
        QR text; default as at issue: the declaration's verification URL, else the token.

    Returns
    -------
    dict of str to Path
        File name -> path.

    Raises
    ------
    LabelNotFound, RenderError, RegistryError
    """
    from pcf.core.files import write_atomic

    from .render import issued_files

    with store.read() as tx:
        label = tx.label(number)
    if label is None:
        raise LabelNotFound(f"no label {number} in the registry")
    document = parse_document(label.document, f"registry label {number}")
    qr = qr or document["declaration"].get("verification_url") or label.token
    out, _ = _prepare_out(out_dir)
    contents = issued_files(document, qr)
    paths = {name: out / name for name in contents}
    try:
        write_atomic({paths[n]: data for n, data in contents.items()})
    except OSError as exc:
        raise RegistryError(f"cannot write in {out} ({exc.strerror})") from None
    return paths

