"""Issuing many labels at once: ``pcf issue FOLDER --jobs N`` (issue 18 part 5).

Each result of the folder (``*.result.json``, in name order) is issued as :func:`pcf.registry.issue`
issues one (the same checks, numbering, signature and event, one registry transaction per label,
in that order, from this one process: the registry's writes stay serialised on both back ends),
with its signed declaration written at the commit; its label (SVG, PDF) and statement (PDF), the
slow part (WeasyPrint, about 0.2 s of CPU a label), are rendered by ``jobs`` worker processes
while the next labels are issued, and written (atomically, in number order) as they come back.

With more than one job, where the system forks (Linux), a renderer process is forked at the
start, before this process imports WeasyPrint (:class:`_Renderer`) but after it has loaded what
both need (the PCR loader and the first result's rule, :func:`_load_shared`): it imports WeasyPrint and
draws the first label while this process reads, checks and issues the next ones, then forks the
workers from itself, so that they start with WeasyPrint imported and its fonts, font subsets and
templates loaded instead of paying for them each (about 1 s of CPU a worker). Both cores are busy
from the fork on: drawing the first label here and forking the workers from this process left
the second core idle for the ~1.5 s this process took to import WeasyPrint and draw it, and put
all the issuing (about 10 ms of CPU a label) beside the workers. Elsewhere the workers are
spawned by this process. A worker freezes what it starts with out of the garbage collector and
collects less often (:func:`_worker_started`).

Unlike a single ``pcf issue``, a label is committed before its PDFs are made: if rendering then
fails, the label stays issued and its files are written later with ``pcf registry export NUMBER``
(the message says so). The CJK font is checked before the first label, so the usual cause of a
render failure refuses the whole folder before anything is issued.

The issuing process stays at most :data:`AHEAD` labels a job ahead of the files written. Ctrl-C (SIGINT
to the whole process group) is taken between two labels (:func:`pcf.registry.lifecycle.deferred_interrupt`):
the renderer and its workers ignore it and draw what they were given, so every label issued gets its
files before the command exits 130; the outcomes so far are in the caller's ``outcomes`` list (``pcf
issue`` prints their numbers). A second Ctrl-C stops at once: the renderer is killed, and the labels
whose files were not written yet say so in their outcome, with the ``pcf registry export NUMBER`` that
writes them. Should the issuing process be killed (kill -9),
the system kills the renderer, and the renderer's end its workers (Linux, :func:`_end_with_parent`):
nothing is drawn for nobody; the labels issued whose files were not written yet get them from
``pcf registry export NUMBER``.
"""

from __future__ import annotations

import functools
import multiprocessing
import pickle
import queue
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from pcf.core.errors import PCFError, RenderError, SourceError
from pcf.core.files import StagedFiles
from pcf.render.fonts import cjk_font

from .errors import IssueRefused, LabelNotFound, RegistryError
from .keys import SigningKey
from .lifecycle import Issued, deferred_interrupt, issue
from .store import Store

#: Labels issued ahead of their files, per job: beyond ``AHEAD * jobs`` the issuing process waits for the
#: first ones, so that a stop (Ctrl-C, a refused key) leaves at most that many labels to draw before the
#: command ends with every issued label's files, and the renderer's queue stays short.
AHEAD = 8


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
                 render: bool = True, progress: Callable[[int, int], None] | None = None,
                 outcomes: list[Outcome] | None = None) -> Bulk:
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
        Worker processes rendering the PDFs [1 .. 64]; 1 renders in this process.
    render : bool
        False writes the signed declarations only.
    progress : callable, optional
        Called with ``(done, total)`` results as each result's outcome becomes final: refused, or
        issued with its files written (or their failure recorded).
    outcomes : list, optional
        The list the :class:`Outcome` of each result is appended to as it is issued or refused (the
        returned Bulk's ``outcomes``): after an exception (Ctrl-C) it holds those of the results handled
        before, each issued label with its files (after a second Ctrl-C, some with the ``error`` that
        says their files are not written and how to write them).

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
    if render:
        # no font: refused before anything is issued; fontconfig is asked once, the renderer and
        # its workers inherit the answer (pcf.render.fonts: no Jinja2 or views in this process)
        cjk_font()
    pool, context = None, _context()
    pending: list[tuple[Outcome, Future | None]] = []
    bulk, tally = Bulk(outcomes if outcomes is not None else []), _Tally(len(files), progress)
    abandon = False  # a second Ctrl-C while the labels left were written: the renderer is stopped, not awaited
    with deferred_interrupt() as interrupted:  # from before the renderer's fork (it inherits the handler)
        try:
            if render and jobs > 1 and context.get_start_method() == "fork":
                _load_shared(files[0])
                pool = _Renderer(jobs, context)  # forked before this process imports WeasyPrint (module docstring)
            elif render and jobs > 1:
                pool = _pool(jobs, context)
            try:
                for path in files:
                    interrupted()  # a Ctrl-C is raised here, between two labels (deferred_interrupt)
                    _issue_one(bulk, pending, tally, path, pool, render, (store, key, valid_days, out_dir, pcr_dir,
                                                                          self_declared), interrupted)
                    _write_done(pending, Path(out_dir), wait=False, tally=tally, keep=AHEAD * jobs)
                _write_done(pending, Path(out_dir), wait=True, tally=tally)
                interrupted()  # a Ctrl-C while the last labels were drawn: every label has its files
            except BaseException:
                # a refusal of the key, Ctrl-C: the labels issued keep their files, and a rendering that failed
                # meanwhile (the renderer interrupted too) does not replace the exception, which goes on
                try:
                    if interrupted.again:  # two Ctrl-Cs already (both while this process waited for drawings)
                        raise KeyboardInterrupt
                    _write_done(pending, Path(out_dir), wait=True, unwinding=True, tally=tally)
                except BaseException:  # a second Ctrl-C: the labels left say they have no files, and how to get them
                    abandon = True
                    _left_unwritten(pending, "interrupted")
                    raise
                raise
        finally:
            if isinstance(pool, _Renderer):
                pool.shutdown(cancel_futures=True, abandon=abandon)
            elif pool is not None:  # spawned workers (no fork)
                pool.shutdown(wait=not abandon, cancel_futures=True)
        interrupted()  # a Ctrl-C while the renderer ended: every label has its files, the command says it stopped
    return bulk


def _left_unwritten(pending: list, why: str) -> None:
    """The outcomes of the labels still in ``pending`` say that they are issued without their files, and how
    to write them (as a failed rendering does, :func:`_write_done`)."""
    for outcome, _ in pending:
        number = outcome.issued.number
        outcome.error = (f"label {number} is issued, but its label and statement files were not written ({why}): "
                         f"write them with `pcf registry export {number}`")


def _load_shared(first: Path) -> None:
    """What the renderer needs as well as this process, loaded before it is forked so that it
    inherits them (about 0.3 s of CPU it spent again): the PCR loader (its pydantic schemas)
    and the rule of the first result as the label reads it (:func:`pcf.pcr.loader.shipped_rule`,
    cached per process; :func:`pcf.registry.issue` then finds its YAML parsed). A result that
    cannot be read is left to the issuing loop, which refuses it as usual."""
    from pcf.declaration import read_declaration
    from pcf.pcr.loader import shipped_rule

    try:
        assessment = read_declaration(first).assessment
    except PCFError:
        return
    if assessment is not None and assessment.pcr.id:
        shipped_rule(str(assessment.pcr.id), str(assessment.pcr.version))


class RenderingTraceback(Exception):
    """The traceback (its text) of an exception raised while a label was rendered in another
    process, attached as that exception's cause (crash logs show where it was raised)."""

    def __str__(self) -> str:
        return f"\n{self.args[0]}" if self.args else ""


class _Renderer:
    """The rendering side of :func:`issue_folder` with more than one job where the system forks
    (module docstring): a process forked now, which draws the first label and then forks ``jobs``
    workers from itself; :meth:`submit` as ``ProcessPoolExecutor.submit``, a thread of this
    process fulfilling the futures as their files come back."""

    def __init__(self, jobs: int, context):
        self.tasks, self.results = context.Queue(), context.Queue()
        self.tasks.cancel_join_thread()  # should the renderer be gone, this process still exits
        self.futures: dict[int, Future] = {}
        self.lock, self.ended = threading.Lock(), False  # ended: the collector has stopped (its futures failed)
        self.process = context.Process(target=_serve, args=(jobs, self.tasks, self.results))  # it has children
        self.process.start()
        self.collector = threading.Thread(target=self._collect, daemon=True)
        self.collector.start()  # after the fork: the renderer starts with this process's one thread

    def submit(self, render, document: dict, qr: str) -> Future:
        """The files of a label (``render``: :func:`_render`, what the renderer runs), as a future."""
        with self.lock:
            index = len(self.futures)
            future = self.futures[index] = Future()
            if self.ended:  # nothing would ever fulfil it
                future.set_exception(BrokenProcessPool("the rendering process ended before this label"))
                return future
        self.tasks.put((index, document, qr))
        return future

    def _collect(self) -> None:
        """Fulfil the futures from the results; when the renderer ends (its None after every label, or
        found dead) or a result cannot be read, fail the futures left and those submitted later."""
        try:
            self._fulfil()
        finally:
            with self.lock:
                self.ended = True
                for future in self.futures.values():
                    if not future.done():
                        future.set_exception(BrokenProcessPool("the rendering process ended before this label"))

    def _fulfil(self) -> None:
        """:meth:`_collect`'s loop, until the renderer's end."""
        while True:
            try:
                item = self.results.get(timeout=0.5)
            except queue.Empty:
                if self.process.is_alive():
                    continue
                return
            if item is None:  # the renderer's end: every label sent
                return
            index, kind, value = item
            if kind == "files":
                self.futures[index].set_result(value)
            elif kind == "error":
                self.futures[index].set_exception(RenderError(value))
            else:  # the exception as the renderer raised it, its traceback there as its cause
                exc, told = value
                exc.__cause__ = RenderingTraceback(told)
                self.futures[index].set_exception(exc)

    def shutdown(self, cancel_futures: bool = True, abandon: bool = False) -> None:
        """End the renderer once it has rendered what it was given (``abandon``: at once, what it held is
        lost); its workers end with it."""
        if abandon and sys.platform.startswith("linux"):
            # its workers are killed with it (_end_with_parent, Linux only: elsewhere they would be left
            # waiting, so it ends as usual); the collector is not awaited: killed while it sent a label, the
            # renderer leaves a message half written that the collector would wait for for ever (this
            # process holds the pipe's other end too); it is a daemon thread
            self.process.kill()
            self.process.join()
            return
        self.tasks.put(None)
        self.process.join()
        self.collector.join()  # it ends at the renderer's None, or finds it dead (this process never writes results)


def _serve(jobs: int, tasks, results) -> None:
    """The renderer process: the first label drawn here, then ``jobs`` workers forked from this
    process (WeasyPrint, its fonts and subsets loaded) draw the others; each label's files, or why
    there are none, put on ``results`` as ``(index, kind, value)``, then None. Ctrl-C reaches the whole
    process group: this process and its workers ignore it and draw what they were given, which the
    issuing process waits for (:data:`AHEAD` labels at most) before it exits 130."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # first: a Ctrl-C in what follows would print a traceback
    _end_with_parent()
    try:
        try:  # while the issuing process starts and issues the first label; Ctrl-C may come meanwhile
            from pcf.render.output import import_weasyprint

            import_weasyprint()
        except Exception:  # noqa: BLE001 - the first label's rendering meets it again, as that label's error
            pass
        task = _next_task(tasks)
        if task is None:
            return
        first = _attempt(*task)
        with _pool(jobs, multiprocessing.get_context("fork")) as pool:
            pool.submit(int).result()  # the workers are forked now, before the queue's feeder thread starts
            results.put(first)
            while (task := _next_task(tasks)) is not None:
                pool.submit(_render, *task[1:]).add_done_callback(functools.partial(_forward, results, task[0]))
    except KeyboardInterrupt:  # a Ctrl-C before SIGINT was ignored here: the issuing process says so
        pass
    finally:
        if multiprocessing.parent_process().is_alive():
            results.put(None)  # after every label's files, all flushed before this process exits
        else:
            results.cancel_join_thread()  # the issuing process killed: nobody reads, this process still exits


def _end_with_parent() -> None:
    """This process (the renderer, or a worker) is killed (SIGKILL) by the system as soon as the process
    that started it ends (Linux: ``prctl(PR_SET_PDEATHSIG)``), so that a renderer whose issuing process
    was killed (kill -9) draws nothing more for nobody and waits on no pipe, and its workers end with
    it; nothing is lost, the labels it held are issued and ``pcf registry export`` writes their files.
    Elsewhere the renderer finds the issuing process gone once it has no label left (:func:`_next_task`)."""
    import os
    import signal
    import sys

    if not sys.platform.startswith("linux"):  # prctl is Linux's (Windows: ctypes.CDLL(None) raises TypeError)
        return
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except Exception:  # noqa: BLE001 - no C library to ask: the renderer's own check remains (_next_task)
        return
    pr_set_pdeathsig = 1
    if prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) == 0 and os.getppid() != multiprocessing.parent_process().pid:
        os._exit(1)  # the parent ended before it was asked: no signal will come


def _next_task(tasks):
    """The next label to render, None at the end or when the issuing process is gone."""
    while True:
        try:
            return tasks.get(timeout=1.0)
        except queue.Empty:
            if not multiprocessing.parent_process().is_alive():
                return None


def _attempt(index: int, document: dict, qr: str) -> tuple:
    """``(index, kind, value)`` of rendering a label here: ``files``, ``error`` (a RenderError or an
    OSError, its message: the label stays issued without its files) or ``crash`` (anything else:
    the exception and its traceback's text, :func:`_outcome`)."""
    future: Future = Future()
    try:
        future.set_result(_render(document, qr))
    except Exception as exc:  # sent to the issuing process, which says or raises it
        future.set_exception(exc)
    return _outcome(index, future)


def _outcome(index: int, future: Future) -> tuple:
    """``(index, kind, value)`` of a rendering's future (:func:`_attempt`)."""
    exc = future.exception()
    if exc is None:
        return index, "files", future.result()
    if isinstance(exc, (PCFError, OSError)):
        return index, "error", exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    told = "".join(traceback.format_exception(exc))  # a worker's exception has its own as its cause
    try:
        pickle.loads(pickle.dumps(exc))  # what the queue will do, both ways; a failure there would lose the label
    except Exception:  # noqa: BLE001 - an exception that cannot travel is told by its text
        exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    return index, "crash", (exc, told)


def _forward(results, index: int, future: Future) -> None:
    """A worker's label, done: put on ``results`` (:func:`_outcome`)."""
    results.put(_outcome(index, future))


#: The workers' garbage collector: a collection of the youngest objects every this many allocations
#: (Python's default 700 made WeasyPrint's many short-lived objects cost ~17 ms of CPU a label).
WORKER_GC_THRESHOLD = 20000


def _worker_started() -> None:
    """A worker's set-up: the objects it inherited (forked) or imported are frozen out of the
    garbage collector (never scanned again, and their pages stay shared with the issuing process),
    and young objects are collected less often; 17 -> 5 ms of CPU a label. Ctrl-C is ignored: an idle
    worker printed a traceback, a busy one lost its label (the issuing process decides, :func:`_serve`)."""
    import gc
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with_parent()
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


def _issue_one(bulk: Bulk, pending: list, tally, path: Path, pool, render: bool, how: tuple, interrupted) -> None:
    """Issue the label of one result file (:func:`issue_folder`), its outcome in ``bulk``; an issued
    label's rendering handed to ``pool`` (None: drawn in this process) and put on ``pending``. Even a
    second Ctrl-C waits until then (``interrupted.held()``): one landing just after the registry's commit
    lost the label, issued without files or a word."""
    from pcf.declaration import read_declaration

    store, key, valid_days, out_dir, pcr_dir, self_declared = how
    outcome = Outcome(path)
    bulk.outcomes.append(outcome)
    with interrupted.held():
        try:
            outcome.issued = issue(store, read_declaration(path), key, valid_days, out_dir, render=False,
                                   pcr_dir=pcr_dir, self_declared=self_declared)
        except (IssueRefused, LabelNotFound, SourceError) as exc:  # about this result: the next one goes on
            outcome.error = str(exc)
            tally.step()
            return
        if render:
            pending.append((outcome, pool.submit(_render, outcome.issued.document, outcome.issued.qr)
                            if pool else None))
        else:
            tally.step()


class _Tally:
    """Results of :func:`issue_folder` whose outcome is final, told to its ``progress`` callable."""

    def __init__(self, total: int, progress: Callable[[int, int], None] | None):
        self.done, self.total, self.progress = 0, total, progress

    def step(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)


def _write_done(pending: list, out: Path, wait: bool, unwinding: bool = False, tally: _Tally | None = None,
                keep: int | None = None) -> None:
    """Write the files of the first labels of ``pending`` whose rendering is done, in number order
    (all of them when ``wait``; waiting for the first ones while more than ``keep`` are pending);
    render in this process where there is no pool. ``unwinding``: an exception is on its way out, so
    any failed rendering is only that label's error, and an exception of the ``tally`` step (the
    progress callback) does not replace it. Each label's outcome, files written or not, is a ``tally``
    step."""
    while pending and (wait or pending[0][1] is None or pending[0][1].done()
                       or (keep is not None and len(pending) > keep)):
        outcome, future = pending[0]  # left in pending until its outcome is final (_left_unwritten)
        issued = outcome.issued
        try:
            contents = future.result() if future is not None else _render(issued.document, issued.qr)
            paths = {name: out / name for name in contents}
            # staged as pcf.registry.issue writes a label's files (renamed into place together)
            StagedFiles({paths[name]: data for name, data in contents.items()}).stage().commit()
        except Exception as exc:  # noqa: BLE001 - a crash is raised, unless another exception is on its way
            if not (unwinding or isinstance(exc, (PCFError, OSError))):
                raise
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            outcome.error = (f"label {issued.number} is issued, but its label and statement files were not written "
                             f"({why}): write them with `pcf registry export {issued.number}`")
            paths = {}
        pending.pop(0)
        for name, path in paths.items():
            issued.files[name[len(issued.number) + 1:]] = path
        if tally is not None:
            try:
                tally.step()
            except Exception:  # the progress callback failed
                if not unwinding:
                    raise  # the labels left are written as it unwinds
                # the exception on its way out goes on, after the files of the labels left (a second Ctrl-C
                # there, a KeyboardInterrupt, goes out at once: issue_folder marks the labels left)
