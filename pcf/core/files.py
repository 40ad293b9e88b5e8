"""Atomic file output: a reader never sees a half-written file, a failure changes nothing."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from .errors import OutputError


def output_stem(result: dict) -> str:
    """File-name stem of a result's outputs: ``<product id>`` for the model as written,
    ``<product id>.<scenario>`` for a scenario, so scenarios never overwrite each other
    (``SKU-1.result.json``, ``SKU-1.grid_east_china.result.json``, ``...label.pdf``). A
    result of ``pcf batch`` carries its SKU id as the product id, unique in its table:
    ``<SKU id>`` whatever its scenario."""
    pid = result["product"]["id"]
    if result.get("batch"):
        return pid
    scenario = (result.get("scenario") or {}).get("name")
    return f"{pid}.{scenario}" if scenario else pid


#: Longest product id [bytes of UTF-8]. A file name holds 255 bytes and pcf adds to the id a scenario name and
#: the kind of file (``.cf-declaration.pdf``); an issued label's QR code carries it in its signed token, which a
#: QR code holds up to about 2,300 characters (a 3,000-character id made none: issue 18 fuzzing, 2026-12-06).
MAX_PRODUCT_ID_BYTES = 160
_BAD_ID = re.compile(r"[\x00-\x1f/\\:*?\"<>|]")
_SCENARIO = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


def stem_problem(product_id: str, scenario: str | None = None, length: bool = True) -> str | None:
    """Why a result's product id (and scenario name) cannot name its output files, or None; ``length``
    False leaves the length unchecked (a label issued before the limit is drawn again by its number).

    Returns
    -------
    str or None
        The message for the user: an empty id; / \\ : * ? " < > | or control characters, leading or
        trailing spaces, ``.`` or ``..``; more than :data:`MAX_PRODUCT_ID_BYTES` bytes; a scenario name
        that is not ``[A-Za-z0-9][A-Za-z0-9_.-]*``.
    """
    if not product_id.strip():
        return ("the result has an empty product.id (the manufacturer's product id): "
                "set product.id in the model and recompute with `pcf footprint`")
    if _BAD_ID.search(product_id) or product_id.strip() in {".", ".."} or product_id != product_id.strip():
        return (f"product.id {product_id!r} cannot be used as a file name (no / \\ : * ? \" < > | or "
                "control characters, no leading or trailing spaces): change product.id in the model")
    size = len(product_id.encode("utf-8"))
    if length and size > MAX_PRODUCT_ID_BYTES:
        return (f"product.id {product_id[:40]!r}... is {size} bytes long; file names and the label's QR code "
                f"hold ids of at most {MAX_PRODUCT_ID_BYTES} bytes (UTF-8): shorten product.id in the model")
    if scenario is not None and not _SCENARIO.fullmatch(scenario):
        return (f"scenario name {scenario!r} cannot be used in a file name: "
                "rename the scenario in the model ([A-Za-z0-9][A-Za-z0-9_.-]*)")
    return None


#: Flags of a new temporary file: never an existing one, not inherited by child processes.
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def temporary_file(folder: str | Path, prefix: str, suffix: str = ".tmp", mode: int = 0o666,
                   record: list | None = None) -> tuple[int, str]:
    """A new file ``<folder>/<prefix><8 hex digits><suffix>``, open for writing, for content that is
    then moved into place (``os.replace``, ``os.link``).

    Its mode is ``mode`` (default 0o666) less the process's umask, applied by the system as for any
    file ``open()`` creates (0644 under the usual umask 022), so an output is as readable as the
    user's other files; ``tempfile.mkstemp``'s 0600 made every pcf output readable by its owner alone.
    Files only pcf reads back (the caches under ``PCF_HOME``, pickles among them) pass 0o600.
    ``record``, a list, gets the path before the file is made, so that a caller interrupted before
    this returns (Ctrl-C) still knows what to remove.

    Returns
    -------
    fd : int
        File descriptor, open for writing (the caller closes it).
    path : str
        The file's path.

    Raises
    ------
    OSError
        The folder is missing or not writable.
    """
    for _ in range(100):
        path = os.path.join(folder, f"{prefix}{secrets.token_hex(4)}{suffix}")
        if record is not None:
            record.append(path)
        try:
            return os.open(path, _NEW, mode), path
        except FileExistsError:  # 1 in 4 billion: another name (not ours to remove)
            if record is not None:
                record.pop()
            continue
    raise FileExistsError(f"{folder}: no free temporary file name {prefix}*{suffix}")


def read_private(path: str | Path) -> bytes | None:
    """The bytes of a file only this user could have written, None for any other: one not owned by the
    user, or writable by the group or others, or missing or unreadable (a symbolic link is not followed).

    For what pcf reads back from its own caches under ``PCF_HOME`` (written 0600 by :func:`write_atomic`):
    a file put there by someone else (a pickle runs code when loaded; a forged array changes footprints)
    is treated as absent, so the cache is rebuilt. Where the system has no user ids, only the mode is
    checked.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        getuid = getattr(os, "getuid", None)
        if st.st_mode & 0o022 or (getuid is not None and st.st_uid != getuid()):
            return None
        try:
            return fh.read()
        except OSError:
            return None


def write_atomic(files: dict[Path, bytes], mode: int = 0o666) -> None:
    """Write files atomically: each goes to a temporary file in its folder, then ``os.replace``.

    All temporary files are written (and fsynced) before any is moved into place, so a
    failure while writing leaves none of the target files changed.

    Parameters
    ----------
    files : dict of Path to bytes
        Target path -> content. Folders must exist.
    mode : int
        Mode of the new files, less the umask (:func:`temporary_file`).

    Raises
    ------
    OSError
        A file cannot be written; the temporary files are removed first.
    """
    temps: list[tuple[str, Path]] = []
    try:
        for target, data in files.items():
            fd, tmp = temporary_file(Path(target).parent, f".{Path(target).name}.", mode=mode)
            temps.append((tmp, Path(target)))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, target in temps:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise


def write_new(target: Path, data: bytes) -> None:
    """Write a new file atomically, never replacing one: a temporary file in the target's folder
    (fsynced) is hard-linked to ``target``, which fails if ``target`` exists by then; on a file
    system without hard links the existence check and ``os.replace`` follow each other.

    Raises
    ------
    FileExistsError
        ``target`` exists (nothing is written).
    OSError
        The file cannot be written; the temporary file is removed.
    """
    target = Path(target)
    fd, tmp = temporary_file(target.parent, f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise
        except OSError:  # no hard links here (some network or FUSE file systems)
            if target.exists():
                raise FileExistsError(str(target)) from None
            os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class StagedFiles:
    """Files written in two steps: :meth:`stage` (hidden temporary files, fsynced), then
    :meth:`commit` (renamed into place) or :meth:`discard`.

    Used where another commit must happen in between (the registry's transaction): a
    process that dies before :meth:`commit` leaves only hidden ``.NAME.*.tmp`` files, never
    a target file.

    Parameters
    ----------
    files : dict of Path to bytes
        Target path -> content. Folders must exist.
    """

    def __init__(self, files: dict[Path, bytes]):
        self.files = {Path(k): v for k, v in files.items()}
        self.temps: list[tuple[str, Path]] = []

    def stage(self) -> "StagedFiles":
        """Write every temporary file and fsync it.

        Raises
        ------
        OSError, KeyboardInterrupt
            A file cannot be written, or Ctrl-C; the temporary files are removed first.
        """
        try:
            for target, data in self.files.items():
                made: list[str] = []
                try:
                    fd, _ = temporary_file(target.parent, f".{target.name}.", record=made)
                finally:  # a Ctrl-C as the file is made: it is removed too
                    self.temps.extend((tmp, target) for tmp in made)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
        except BaseException:
            self.discard()
            raise
        return self

    def commit(self) -> list[Path]:
        """Rename the temporary files into place and fsync their folders.

        Returns
        -------
        list of Path
            The target files.

        Raises
        ------
        OSError, KeyboardInterrupt
            A rename failed or was interrupted: the files renamed before stay, the temporary files
            not renamed yet are removed.
        """
        try:
            for tmp, target in self.temps:
                os.replace(tmp, target)
        except BaseException:
            self.discard()
            raise
        for folder in {target.parent for _, target in self.temps}:
            _fsync_dir(folder)
        done = [target for _, target in self.temps]
        self.temps = []
        return done

    def discard(self) -> None:
        """Remove the temporary files (nothing of the targets changes)."""
        for tmp, _ in self.temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.temps = []


def _fsync_dir(folder: Path) -> None:
    """fsync a folder so that renames in it survive a power cut (POSIX; ignored elsewhere)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def output_folder(path: str | Path, create: bool = False) -> Path:
    """Check that ``path`` can be an output folder (and create it with ``create``).

    A command checks its output folder before it computes anything, so that ``--out`` naming
    an existing file is a clear error and not a traceback after the work (issue 19 part 4).

    Parameters
    ----------
    path : str or Path
        The output folder; it may not exist yet.
    create : bool
        Create it (and its parents).

    Returns
    -------
    Path

    Raises
    ------
    OutputError
        ``path`` or one of its parents is a file, or it cannot be created. Raised with
        ``.about("out_dir")``; the caller may name another argument.
    """
    out = Path(path)
    for place in (out, *out.parents):
        if place.exists() and not place.is_dir():
            what = "is a file" if place == out else f"is inside {place}, which is a file"
            raise OutputError(f"{out} {what}, not a folder: name a folder for the outputs").about("out_dir")
        if place.exists():
            break
    if create:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{out}: cannot create the output folder ({exc.strerror or exc})").about("out_dir") \
                from None
    return out


def prune_oldest(folder: Path, pattern: str, keep: int) -> None:
    """Remove the files of ``folder`` matching ``pattern`` beyond the ``keep`` newest (by
    modification time). A file another process removes first is skipped: caches under
    ``PCF_HOME`` are pruned by whichever process writes last."""
    entries = []
    for path in folder.glob(pattern):
        try:
            entries.append((path.stat().st_mtime, path))
        except OSError:
            continue
    for _, path in sorted(entries, reverse=True)[keep:]:
        path.unlink(missing_ok=True)


def folder_usage(folder: Path, pattern: str) -> dict:
    """``{files, bytes}`` of the files of ``folder`` matching ``pattern`` (0 and 0 without the folder)."""
    files = sorted(folder.glob(pattern)) if folder.is_dir() else []
    return {"files": len(files), "bytes": sum(f.stat().st_size for f in files)}


def remove_cache(folder: Path, pattern: str) -> dict:
    """Remove a cache folder whole.

    Returns
    -------
    dict
        :func:`folder_usage` of what was removed.

    Raises
    ------
    OSError
        A file cannot be removed.
    """
    import shutil

    info = folder_usage(folder, pattern)
    if folder.is_dir():
        shutil.rmtree(folder)
    return info
