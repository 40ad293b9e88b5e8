"""The files a model reads, captured once and served from memory (``pcf batch`` on a cluster).

The model loader reads its YAML file and the supplier footprints it names (``supplier_pcf``)
through :func:`read_bytes` and :func:`resolve` here, which read the disk as usual. A batch
plan records what its preparation read (:func:`recording`) and carries that snapshot
(:class:`Sources`); its rows are evaluated under :func:`serving`, so the loader gets the bytes
the client read, under the paths the client used (relative ones too: error messages and the
summary name the same files as a local run), whatever the working folder and file system of
the process (a dask worker in another folder or on another machine) look like.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Sources:
    """Files read while a model was loaded.

    Attributes
    ----------
    files : dict of str to bytes
        Path as the loader named it (``str(path)``, relative or absolute) -> the file's bytes.
    resolved : dict of str to str
        Path -> its :meth:`pathlib.Path.resolve` in the process that read it.
    """

    files: dict = field(default_factory=dict)
    resolved: dict = field(default_factory=dict)


_RECORDING: ContextVar[Sources | None] = ContextVar("pcf_sources_recording", default=None)
_SERVING: ContextVar[Sources | None] = ContextVar("pcf_sources_serving", default=None)


@contextmanager
def recording() -> Iterator[Sources]:
    """Record every file read through this module in the block (this thread / task).

    Yields
    ------
    Sources
        Filled as the block reads.
    """
    sources = Sources()
    token = _RECORDING.set(sources)
    try:
        yield sources
    finally:
        _RECORDING.reset(token)


@contextmanager
def serving(sources: Sources | None) -> Iterator[None]:
    """Answer the reads of the block from ``sources`` instead of the disk (None: the disk)."""
    token = _SERVING.set(sources)
    try:
        yield
    finally:
        _SERVING.reset(token)


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path``: from the snapshot being served, else from the disk (recorded when
    recording).

    Raises
    ------
    FileNotFoundError
        Served, and the snapshot does not hold ``path`` (it was not read when the snapshot
        was taken).
    OSError
        The disk read failed (``IsADirectoryError``, ``PermissionError``, ...).
    """
    served = _SERVING.get()
    if served is not None:
        try:
            return served.files[str(path)]
        except KeyError:
            raise FileNotFoundError(errno.ENOENT, "not in the files sent with the batch plan", str(path)) from None
    data = Path(path).read_bytes()
    recorder = _RECORDING.get()
    if recorder is not None:
        recorder.files[str(path)] = data
    return data


def read_text(path: Path) -> str:
    """:func:`read_bytes` decoded as UTF-8 with universal newlines (as ``Path.read_text``).

    Raises
    ------
    UnicodeDecodeError
        Not UTF-8.
    OSError
        As :func:`read_bytes`.
    """
    text = read_bytes(path).decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def resolve(path: Path) -> Path:
    """``path.resolve()`` as the process that took the snapshot being served saw it (else
    this process's, recorded when recording)."""
    served = _SERVING.get()
    if served is not None and str(path) in served.resolved:
        return Path(served.resolved[str(path)])
    out = Path(path).resolve()
    recorder = _RECORDING.get()
    if recorder is not None:
        recorder.resolved[str(path)] = str(out)
    return out
