"""Import archives are hostile until proven otherwise (issue 19 part 6).

``pcf db import`` takes zips and XML from anywhere. Before anything is unpacked, the zip's
directory is checked: every member stays inside the folder it is unpacked to (no zip-slip: no
absolute path, no ``..``, no link), and the sizes it declares are bounded in total
(:attr:`ArchiveLimits.max_bytes`), in number of members and in compression ratio
(:attr:`ArchiveLimits.max_ratio`: deflate of real LCI data gives about 4 to 11, US LCI; a zip
bomb gives up to 1,032). The members are then copied out one by one with a counter, so a
member that decompresses to more than it declared is refused too. An XML file with a document
type declaration that declares entities or names an external DTD is refused before an XML
parser sees it (no external entity, no entity expansion), whatever the parser's defaults.

The limits default to :data:`DEFAULT_LIMITS` and can be set per run (``import_database(...,
limits=)``) or with the environment variables ``PCF_IMPORT_MAX_UNPACKED_MB`` and
``PCF_IMPORT_MAX_RATIO``.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..core.errors import ImportFailed

MIB = 1 << 20


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds on what a zip may unpack to, checked before extraction.

    Attributes
    ----------
    max_bytes : int
        Total size of all members, unpacked [bytes].
    max_ratio : float
        Largest unpacked / compressed size of a member over :attr:`ratio_floor`, and of the
        whole archive when it unpacks to more than that [1].
    max_members : int
        Number of members.
    ratio_floor : int
        Members (and archives) smaller than this, unpacked, are not held to the ratio [bytes]:
        a small, repetitive file may compress well and cannot fill a disk.
    """

    max_bytes: int = 16 * 1024 * MIB
    max_ratio: float = 200.0
    max_members: int = 1_000_000
    ratio_floor: int = MIB


DEFAULT_LIMITS = ArchiveLimits()
"""16 GiB unpacked (ecoinvent's EcoSpold2 release unpacks to a few GB), ratio 200 (real LCI
archives: 4 to 11), a million members."""


def limits_from_env(env: dict | None = None) -> ArchiveLimits:
    """:data:`DEFAULT_LIMITS` with ``PCF_IMPORT_MAX_UNPACKED_MB`` [MiB] and
    ``PCF_IMPORT_MAX_RATIO`` applied.

    Raises
    ------
    ImportFailed
        A variable is not a positive number.
    """
    env = os.environ if env is None else env
    limits = DEFAULT_LIMITS
    for var, field, scale in (("PCF_IMPORT_MAX_UNPACKED_MB", "max_bytes", MIB), ("PCF_IMPORT_MAX_RATIO", "max_ratio", 1)):
        text = env.get(var)
        if text is None or not text.strip():
            continue
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not value > 0 or value == float("inf"):
            raise ImportFailed(f"{var}={text!r} is not a positive number")
        limits = ArchiveLimits(**{**limits.__dict__, field: int(value * scale) if scale != 1 else value})
    return limits


def check_zip(path: Path, archive: zipfile.ZipFile, limits: ArchiveLimits) -> list[zipfile.ZipInfo]:
    """The members of ``archive`` to unpack (files, not folders), once all are found safe.

    Raises
    ------
    ImportFailed
        A member's name leaves the folder (absolute, ``..``, a drive) or is a link; more
        members, more bytes or a higher compression ratio than ``limits`` allow. Nothing has
        been written.
    """
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise ImportFailed(f"{path}: the zip has {len(infos):,} members, more than the {limits.max_members:,} "
                           "allowed; unpack it yourself and import the folder")
    total = packed = 0
    files = []
    for info in infos:
        _check_name(path, info)
        if info.is_dir():
            continue
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise ImportFailed(
                f"{path}: zip member {info.filename!r} unpacks to {info.file_size:,} bytes from "
                f"{info.compress_size:,} (ratio {info.file_size / max(info.compress_size, 1):,.0f}, more than "
                f"{limits.max_ratio:g}): refused as a likely zip bomb; nothing was unpacked")
        total += info.file_size
        packed += info.compress_size
        files.append(info)
    if total > limits.max_bytes:
        raise ImportFailed(f"{path}: the zip unpacks to {total:,} bytes, more than the {limits.max_bytes:,} allowed "
                           "(PCF_IMPORT_MAX_UNPACKED_MB); nothing was unpacked")
    if total > limits.ratio_floor and total > limits.max_ratio * max(packed, 1):
        raise ImportFailed(f"{path}: the zip unpacks to {total:,} bytes from {packed:,} (ratio "
                           f"{total / max(packed, 1):,.0f}, more than {limits.max_ratio:g}): refused as a likely zip "
                           "bomb; nothing was unpacked")
    return files


def _check_name(path: Path, info: zipfile.ZipInfo) -> None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    mode = info.external_attr >> 16
    if (not name or "\x00" in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name)
            or ".." in parts):
        raise ImportFailed(f"{path}: zip member {name!r} points outside the archive; "
                           "unpack it yourself and import the folder")
    if stat.S_ISLNK(mode):
        raise ImportFailed(f"{path}: zip member {name!r} is a symbolic link; links are not unpacked "
                           "(unpack it yourself and import the folder)")


def extract(path: Path, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], folder: Path,
            limits: ArchiveLimits) -> None:
    """Copy ``members`` (from :func:`check_zip`) into ``folder``, counting the bytes written.

    Raises
    ------
    ImportFailed
        A member unpacks to more than it declared, or the total to more than
        ``limits.max_bytes`` (the caller removes ``folder``).
    """
    root = folder.resolve()
    written = 0
    for info in members:
        target = (root / info.filename).resolve()
        if not target.is_relative_to(root) or target == root:
            raise ImportFailed(f"{path}: zip member {info.filename!r} points outside the archive; "
                               "unpack it yourself and import the folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        left = info.file_size
        with archive.open(info) as src, open(target, "xb") as dst:
            while chunk := src.read(MIB):
                left -= len(chunk)
                written += len(chunk)
                if left < 0 or written > limits.max_bytes:
                    raise ImportFailed(f"{path}: zip member {info.filename!r} unpacks to more than it declares "
                                       f"({info.file_size:,} bytes): refused; nothing was kept")
                dst.write(chunk)


#: The start of an XML file read for its document type declaration [bytes]; a declaration
#: that does not end within it is refused.
PROLOG_BYTES = MIB
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def check_xml(path: Path) -> None:
    """Refuse an XML file whose document type declaration declares entities or names an
    external DTD (XXE, entity expansion), before any parser reads it.

    Raises
    ------
    ImportFailed
        Such a declaration, or one longer than :data:`PROLOG_BYTES`.
    """
    with path.open("rb") as fh:
        head = fh.read(PROLOG_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    found = _DOCTYPE.search(head)
    if found is None:
        return
    declaration = head[found.start():]
    subset = declaration.find(b"[")
    close = declaration.find(b">")
    if subset != -1 and (close == -1 or subset < close):  # an internal subset: it ends with ]>
        end = declaration.find(b"]>", subset)
        if end == -1:
            raise ImportFailed(f"{path}: its XML document type declaration does not end in the first "
                               f"{PROLOG_BYTES:,} bytes; refused (EcoSpold needs none)")
        declaration = declaration[:end + 2]
    else:
        declaration = declaration[:close + 1] if close != -1 else declaration
    if b"<!ENTITY" in declaration.upper() or re.search(rb"\b(SYSTEM|PUBLIC)\b", declaration, re.IGNORECASE):
        raise ImportFailed(f"{path}: declares XML entities or an external DTD in its document type declaration; "
                           "refused (no external entity is read and no entity is expanded; EcoSpold needs none)")


def check_xml_files(root: Path) -> int:
    """:func:`check_xml` on ``root`` (a file) or every ``.xml`` / ``.spold`` file under it.

    Returns
    -------
    int
        Number of files checked.
    """
    files = [root] if root.is_file() else [p for p in root.rglob("*") if p.suffix.lower() in (".xml", ".spold")
                                            and p.is_file()]
    for p in files:
        check_xml(p)
    return len(files)


def remove(folder: Path) -> None:
    """Remove an unpacked folder (ignoring errors)."""
    shutil.rmtree(folder, ignore_errors=True)
