"""The footprints a PACT host system offers: the registry's issued labels as PACT documents.

A label in the registry (:mod:`pcf.registry`) signs a declaration that names the result it
was issued for by the SHA-256 of the result's canonical JSON (``result_sha256``, RFC 8785).
The host finds that result in a folder of result files (``pcf footprint --out DIR``), so a
served footprint is computed from exactly the result that was signed, and exports it
(:func:`pcf.exchange.pact.pact_v3` / ``pact_v2``) with what the label adds:

==========================  ===============================================================
PACT field                  from the label
==========================  ===============================================================
``id``                      UUID v5 of the label number (stable for the label's life)
``status``                  ``Active`` while the label is valid (status ``valid``, inside its
                            validity period, not renewed), else ``Deprecated``
``validityPeriodStart/End`` the label's validity, within PACT's limits: from the reference
                            period's end to at most 3 years after it (PACT v3 ProductFootprint
                            ``validityPeriodStart``); omitted when the two do not overlap
``precedingPfIds``          the footprint of the label this one renews
``verification`` (v2        the certification body that issued the label: ``providerName`` =
``assurance``)              issuer, ``completedAt`` = time of issue, ``coverage`` = product level
==========================  ===============================================================

Read-only: the registry is only read (in a read transaction per request), so a suspension,
revocation or renewal shows at the next request.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..core.canonical import canonical_bytes
from ..core.errors import ExchangeError, SourceError
from ..declaration import Declaration, read_declaration
from ..exchange.pact import pact_v2, pact_v3
from ..registry import open_store
from ..registry.declaration import parse_document


@dataclass
class HostedFootprint:
    """One issued label as PACT documents.

    Attributes
    ----------
    number : str
        The label number.
    id : str
        The footprint id (UUID v5 of the number).
    v3, v2 : dict or None
        The PACT v3 and v2 ``ProductFootprint`` (None when the result lacks what that version needs).
    problem : str or None
        Why the label is not served (no matching result, or what the exporter needs).
    """

    number: str
    id: str
    v3: dict | None
    v2: dict | None
    problem: str | None = None


def footprint_uuid(number: str) -> str:
    """The PACT id of the footprint of a label: UUID v5 of ``urn:pcf:label:<number>``."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:pcf:label:{number}"))


class ResultIndex:
    """Result files of a folder by the SHA-256 of their canonical JSON (RFC 8785), re-read when
    the folder's files change (name, size, modification time)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self._stamp: tuple | None = None
        self._by_hash: dict[str, Path] = {}

    def _scan(self) -> None:
        files = sorted(self.folder.glob("*.result.json")) if self.folder.is_dir() else []
        stamp = tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files)
        if stamp == self._stamp:
            return
        by_hash = {}
        for f in files:
            try:
                data = json.loads(f.read_text(encoding="utf-8"))
                by_hash[hashlib.sha256(canonical_bytes(data)).hexdigest()] = f
            except (OSError, ValueError):
                continue  # not a readable result: not served
        self._by_hash, self._stamp = by_hash, stamp

    def find(self, sha256: str) -> Declaration | None:
        """The result whose canonical SHA-256 is ``sha256``, read as a declaration, or None.

        Raises
        ------
        pcf.core.errors.SourceError
            The file with that hash is not a valid ``pcf-result/1`` document.
        """
        self._scan()
        path = self._by_hash.get(sha256)
        if path is None:
            return None
        return read_declaration(path)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _validity(label, reference_end: str | None) -> tuple[str, str] | None:
    """The label's validity inside PACT's window [reference period end, + 3 years], or None."""
    start, end = _utc(label.valid_from), _utc(label.valid_until)
    if reference_end:
        ref = _utc(reference_end)
        try:
            limit = ref.replace(year=ref.year + 3)
        except ValueError:  # 29 February
            limit = ref + timedelta(days=3 * 365)
        start, end = max(start, ref), min(end, limit)
    return (_iso(start), _iso(end)) if start < end else None


def exports(declaration: Declaration) -> dict:
    """``{"v3": doc or ExchangeError, "v2": ...}``: the declaration's PACT documents before the
    label's fields (they depend on the result only, so a host computes them once per result)."""
    out = {}
    for version, export in (("v3", pact_v3), ("v2", pact_v2)):
        try:
            out[version] = export(declaration)
        except ExchangeError as exc:
            out[version] = exc
    return out


def hosted(label, declaration: Declaration | None, now: datetime, exported: dict | None = None,
           missing: str | None = None) -> HostedFootprint:
    """The PACT documents of one label (see the module docstring).

    Parameters
    ----------
    label : pcf.registry.store.LabelRecord
    declaration : Declaration or None
        The result the label was issued for (None: not found).
    now : datetime
        The time that decides ``Active`` / ``Deprecated``.
    exported : dict, optional
        :func:`exports` of ``declaration`` when already computed.
    missing : str, optional
        Why ``declaration`` is None (default: no result file with the label's SHA-256).
    """
    fid = footprint_uuid(label.number)
    if declaration is None:
        return HostedFootprint(label.number, fid, None, None, missing or
                               "no result file with the SHA-256 the label's declaration names (result_sha256)")
    active = (label.status == "valid" and not label.renewed_by
              and _utc(label.valid_from) <= now < _utc(label.valid_until))
    exported = exported if exported is not None else exports(declaration)
    docs, problems = {}, []
    for version in ("v3", "v2"):
        doc = exported[version]
        if isinstance(doc, ExchangeError):
            problems.append(f"PACT {version}: {doc}")
            docs[version] = None
            continue
        doc = copy.deepcopy(doc)
        doc["id"] = fid
        doc["status"] = "Active" if active else "Deprecated"
        window = _validity(label, doc["pcf"].get("referencePeriodEnd"))
        if window:
            doc["validityPeriodStart"], doc["validityPeriodEnd"] = window
        if label.renews:
            doc["precedingPfIds"] = [footprint_uuid(label.renews)]
        note = (f"Carbon label {label.number} issued by {label.issuer} on {label.issued_at}, valid "
                f"{label.valid_from} to {label.valid_until} (exclusive), status {label.status}"
                + (f", renewed by {label.renewed_by}" if label.renewed_by else "") + ".")
        doc["comment"] = f"{doc.get('comment', '')} {note}".strip()
        check = {"providerName": label.issuer, "completedAt": _iso(_utc(label.issued_at)),
                 "comments": f"pcf carbon label {label.number} (signed declaration, Ed25519)"}
        pcr = declaration.assessment.pcr if declaration.assessment is not None else None
        if pcr:
            check["standardName"] = f"{declaration.result.study.standard}; PCR {pcr.id} {pcr.version}".strip()
        if version == "v3":
            doc["pcf"]["verification"] = {"coverage": "product level", **check}
        else:
            doc["pcf"]["assurance"] = {"assurance": True, "coverage": "product level", **check}
        docs[version] = doc
    problem = "; ".join(problems) if not docs["v3"] and not docs["v2"] else None
    return HostedFootprint(label.number, fid, docs["v3"], docs["v2"], problem)


class FootprintSource:
    """The footprints of a registry's labels, read afresh per call (labels) with the result
    documents cached per label and result file.

    Parameters
    ----------
    registry : str or Path or None
        The registry (default ``PCF_HOME/registry.db``).
    results : str or Path
        Folder of result files (``*.result.json``) the labels were issued for.
    clock : callable, optional
        ``clock() -> datetime`` (UTC); default the system clock.
    """

    def __init__(self, registry, results, clock=None):
        self.registry = registry
        self.index = ResultIndex(results)
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._exported: dict[str, tuple] = {}  # result SHA-256 -> (declaration, exports): results never change

    def footprints(self) -> list[HostedFootprint]:
        """Every label of the registry as :class:`HostedFootprint`, in label order.

        Raises
        ------
        pcf.registry.RegistryError
            The registry is missing or unreadable.
        """
        store = open_store(self.registry, create=False)
        try:
            with store.read() as tx:
                labels = tx.labels()
        finally:
            store.close()
        now = self.clock()
        out = []
        for label in sorted(labels, key=lambda x: x.seq):
            sha = parse_document(label.document, label.number)["declaration"]["result_sha256"]
            if sha not in self._exported:
                try:
                    declaration = self.index.find(sha)
                except SourceError as exc:  # not cached: the file may be replaced
                    out.append(hosted(label, None, now, missing=f"the result file is not a valid pcf result: {exc}"))
                    continue
                if declaration is None:  # not cached: the file may appear later
                    out.append(hosted(label, None, now))
                    continue
                self._exported[sha] = (declaration, exports(declaration))
            declaration, exported = self._exported[sha]
            out.append(hosted(label, declaration, now, exported))
        return out
