"""Issuing many labels at once: ``pcf issue FOLDER --jobs N`` (issue 18 part 5).

Each result of the folder (``*.result.json``, in name order) is issued as :func:`pcf.registry.issue`
issues one (the same checks, numbering, signature and event, one registry transaction per label,
in that order, from this one process: the registry's writes stay serialised on both back ends),
with its signed declaration written at the commit; its label (SVG, PDF) and statement (PDF), the
slow part (WeasyPrint, about 0.2 s of CPU a label), are rendered by ``jobs`` worker processes
while the next labels are issued, and written (atomically, in number order) as they come back.

The first label is rendered in this process; the workers are then forked from it (where the
system forks: Linux), so that they start with WeasyPrint imported and its fonts, font subsets
and templates loaded instead of paying for them each (about 1.5 s of CPU a worker). Elsewhere
they are spawned. A worker freezes what it starts with out of the garbage collector and collects
less often (:func:`_worker_started`).

With more than one job (where the system forks) a reader process is forked first, before
WeasyPrint is imported: it reads every result file in turn, decodes it and hashes it as
:func:`pcf.registry.issue` does (about 13 ms of CPU a result), and hands each declaration and its
hash to this process, which issues the label with them. It works on the second core while this
process imports WeasyPrint and draws the first label (the workers are forked after that), so
that the issuing process, which then competes with both workers for the two cores, only
unpickles a result (about 2 ms) instead. A result the reader cannot read is read again here,
for its error.

Unlike a single ``pcf issue``, a label is committed before its PDFs are made: if rendering then
fails, the label stays issued and its files are written later with ``pcf registry export NUMBER``
(the message says so). The CJK font is checked before the first label, so the usual cause of a
render failure refuses the whole folder before anything is issued.
"""

from __future__ import annotations

import multiprocessing
import queue
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pcf.core.errors import PCFError, SourceError
from pcf.core.files import write_atomic

from .errors import IssueRefused, LabelNotFound, RegistryError
from .keys import SigningKey
from .cases import result_sha256
from .lifecycle import Issued, issue
from .store import Store


@dataclass
class Outcome:
    """What became of one result of the folder.

    Attributes
    ----------
    result : Path
        The result file.
    issued : Issued or None
        The label (its ``files`` hold every file written), None when refused.
    error : str or None
        Why the result got no label, or why its PDFs were not written (the label is issued then).
    """

    result: Path
    issued: Issued | None = None
    error: str | None = None


@dataclass
class Bulk:
    """Every outcome of :func:`issue_folder`, in the order of the result files."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def refused(self) -> list[Outcome]:
        """The outcomes without a label or without their PDFs."""
        return [o for o in self.outcomes if o.error is not None]


def result_files(folder: str | Path) -> list[Path]:
    """The ``*.result.json`` files of ``folder`` (not its subfolders), by name.

    Raises
    ------
    RegistryError
        Not a folder, or no result file in it.
    """
    path = Path(folder)
    if not path.is_dir():
        raise RegistryError(f"{path}: not a folder of results").about("result")
    found = sorted(p for p in path.glob("*.result.json") if p.is_file())
    if not found:
        raise RegistryError(f"{path}: no *.result.json file in this folder (pcf footprint or pcf batch "
                            "--json-per-sku write them)").about("result")
    return found


def _render(document: dict, qr: str) -> dict[str, bytes]:
    """Worker: the label and statement files of a signed declaration (not the declaration itself)."""
    from .render import issued_files

    files = issued_files(document, qr)
    return {name: data for name, data in files.items() if not name.endswith(".declaration.json")}


def issue_folder(store: Store, folder: str | Path, key: SigningKey, valid_days: int | None, out_dir: str | Path,
                 *, jobs: int = 1, self_declared: bool = False, pcr_dir: str | Path | None = None,
                 render: bool = True) -> Bulk:
    """Issue a label for every result of ``folder`` (module docstring).

    Parameters
    ----------
    store, key, valid_days, self_declared, pcr_dir
        As :func:`pcf.registry.issue` (one key and validity for all).
    folder : str or Path
        Folder of ``*.result.json`` files.
    out_dir : str or Path
        Where each label's files go (``<number>.declaration.json``, ``.label.svg``,
        ``.label.pdf``, ``.statement.pdf``).
    jobs : int
        Worker processes rendering the PDFs [1 .. 64]; 1 renders in this process (which renders the
        first label in any case).
    render : bool
        False writes the signed declarations only.

    Returns
    -------
    Bulk
        One :class:`Outcome` per result file: a refused result (not conforming, labelled before,
        no signed case, a product with a current label, unreadable: IssueRefused, LabelNotFound,
        SourceError) gets its message and no label; the others are issued.

    Raises
    ------
    RegistryError
        Not a folder, no result in it, ``jobs`` out of range.
    RenderError
        No CJK font (before any label is issued).
    KeyNotAllowed, RegistryError
        As :func:`pcf.registry.issue`, for what no result can pass (a key the registry does not
        hold or that may not issue): raised at once; the labels issued before it stay issued,
        with their files.
    """
    if not 1 <= jobs <= 64:
        raise RegistryError(f"jobs must be 1 to 64, not {jobs}").about("jobs")
    files = result_files(folder)
    pool, context = None, _context()
    reader = _Reader(files, context) if jobs > 1 and context.get_start_method() == "fork" else None
    pending: list[tuple[Outcome, Future | None]] = []
    bulk = Bulk()
    try:
        if render:
            from pcf.render.output import cjk_font

            cjk_font()  # no font: refused before anything is issued
        if render and jobs > 1 and context.get_start_method() != "fork":
            pool = _pool(jobs, context)
        for path in files:
            outcome = Outcome(path)
            bulk.outcomes.append(outcome)
            try:
                declaration, sha = reader.next(path) if reader is not None else _read(path, None)
                outcome.issued = issue(store, declaration, key, valid_days, out_dir, render=False, pcr_dir=pcr_dir,
                                       self_declared=self_declared, result_sha256=sha)
            except (IssueRefused, LabelNotFound, SourceError) as exc:  # about this result: the next one goes on
                outcome.error = str(exc)
                continue
            if render:
                if pool is None and jobs > 1 and any(o.issued for o in bulk.outcomes[:-1]):
                    pool = _pool(jobs, context)  # forked once the first label is drawn
                pending.append((outcome, pool.submit(_render, outcome.issued.document, outcome.issued.qr)
                                if pool else None))
            _write_done(pending, Path(out_dir), wait=False)
    finally:
        try:
            _write_done(pending, Path(out_dir), wait=True)  # also after a refusal of the key: the issued keep their files
        finally:
            if reader is not None:
                reader.stop()
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    return bulk


def _read(path: Path, known: tuple | None) -> tuple:
    """A result file's declaration and its SHA-256 (:func:`pcf.registry.cases.result_sha256`, as
    :func:`pcf.registry.issue` computes it): what the reader process sent (``known``), else the
    declaration read here (raising the file's error) and None."""
    from pcf.declaration import read_declaration

    if known is not None:
        return known
    return read_declaration(path), None


def _read_all(files: list[Path], results) -> None:
    """The reader process: each result file's ``(declaration, SHA-256)`` put on ``results`` in
    turn, None for a file it cannot read (the issuing process reads that one again for its error)."""
    from pcf.declaration import read_declaration

    for path in files:
        try:
            declaration = read_declaration(path)
            results.put((declaration, result_sha256(declaration)))
        except Exception:  # the issuing process reads this file again and reports its error
            results.put(None)


class _Reader:
    """The reader process of :func:`issue_folder` (module docstring) and the results it sent."""

    def __init__(self, files: list[Path], context):
        self.results = context.Queue()
        self.process = context.Process(target=_read_all, args=(files, self.results), daemon=True)
        self.process.start()

    def next(self, path: Path) -> tuple:
        """The declaration of the next result file (``path``) and its SHA-256 (None when read here)."""
        known = None
        while self.process is not None:
            try:
                known = self.results.get(timeout=1.0)
                break
            except queue.Empty:
                if not self.process.is_alive() and self.results.empty():  # it died: read here from now on
                    self.process = None
        return _read(path, known)

    def stop(self) -> None:
        """End the reader (it may still be sending results nobody reads)."""
        if self.process is not None:
            self.process.terminate()
            self.process.join()
        self.results.close()


#: The workers' garbage collector: a collection of the youngest objects every this many allocations
#: (Python's default 700 made WeasyPrint's many short-lived objects cost ~17 ms of CPU a label).
WORKER_GC_THRESHOLD = 20000


def _worker_started() -> None:
    """A worker's set-up: the objects it inherited (forked) or imported are frozen out of the
    garbage collector (never scanned again, and their pages stay shared with the issuing process),
    and young objects are collected less often; 17 -> 5 ms of CPU a label."""
    import gc

    gc.freeze()
    gc.set_threshold(WORKER_GC_THRESHOLD, 50, 100)


def _pool(jobs: int, context) -> ProcessPoolExecutor:
    """The rendering workers."""
    return ProcessPoolExecutor(jobs, mp_context=context, initializer=_worker_started)


def _context():
    """How the workers start: forked where the system forks (module docstring), else spawned."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _write_done(pending: list, out: Path, wait: bool) -> None:
    """Write the files of the first labels of ``pending`` whose rendering is done, in number order
    (all of them when ``wait``); render in this process where there is no pool."""
    while pending and (wait or pending[0][1] is None or pending[0][1].done()):
        outcome, future = pending.pop(0)
        issued = outcome.issued
        try:
            contents = future.result() if future is not None else _render(issued.document, issued.qr)
            paths = {name: out / name for name in contents}
            write_atomic({paths[name]: data for name, data in contents.items()})
        except (PCFError, OSError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else str(exc)
            outcome.error = (f"label {issued.number} is issued, but its label and statement files were not written "
                             f"({why}): write them with `pcf registry export {issued.number}`")
            continue
        for name, path in paths.items():
            issued.files[name[len(issued.number) + 1:]] = path
