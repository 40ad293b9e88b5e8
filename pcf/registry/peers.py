"""The registry's current labels as a peer group (``pcf grade --peers registry``, issue 21 part 1).

A peer is a footprint label (not a reduction label) that is current at the time asked
(:meth:`pcf.registry.store.LabelRecord.current`: not superseded nor renewed, before its end of
validity) and ``valid`` (a suspended label is under doubt and left out), issued under the PCR
asked for. Its figure is the declared figure per declared unit its signed label document states
(``values.declared.per_declared_unit``; a label issued before declared figures existed: its
``values.per_declared_unit_kg_co2e``), with the document's declared unit and method.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..pcr.peers import Peer
from .store import Store


@dataclass(frozen=True)
class RegistryPeers:
    """The registry's current labels under one PCR.

    Attributes
    ----------
    peers : list of Peer
        One per label: ``id`` the label number, ``product`` its product id.
    products : list of str
        The product id of each peer, in the same order.
    skipped : dict of str to int
        Labels under that PCR that are no peers, by reason: ``suspended``, ``not_current``
        (revoked, superseded, renewed or expired), ``claim`` (reduction labels).
    """

    peers: list[Peer]
    products: list[str]
    skipped: dict[str, int]


def current_label_peers(store: Store, pcr_id: str, at: str) -> RegistryPeers:
    """The current footprint labels issued under PCR ``pcr_id``.

    Parameters
    ----------
    store : Store
        The registry, open.
    pcr_id : str
    at : str
        ISO 8601 UTC instant at which labels must be current.

    Returns
    -------
    RegistryPeers
    """
    with store.read() as tx:
        labels = tx.labels()
    return label_peers(labels, pcr_id, at)


def label_peers(labels: list, pcr_id: str, at: str) -> RegistryPeers:
    """:func:`current_label_peers` over label records already read (``Tx.labels()``)."""
    peers, products, skipped = [], [], {}
    for label in labels:
        if label.pcr_id != pcr_id:
            continue
        reason = None
        if label.label_type != "footprint":
            reason = "claim"
        elif not label.current(at):
            reason = "not_current"
        elif label.status != "valid":
            reason = "suspended"
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        peers.append(_peer(label))
        products.append(label.product_id)
    return RegistryPeers(peers=peers, products=products, skipped=skipped)


def _peer(label) -> Peer:
    """A label's figure as its signed document states it."""
    document = json.loads(label.document).get("declaration", {})
    values = document.get("values") or {}
    declared = values.get("declared") or {}
    value = declared.get("per_declared_unit")
    if value is None:
        value = values.get("per_declared_unit_kg_co2e")
    unit = ((document.get("product") or {}).get("declared_unit") or {}).get("unit")
    return Peer(id=label.number, value=None if value is None else float(value), pcr=label.pcr_id,
                declared_unit=unit, method=(document.get("method") or {}).get("id"),
                conforms=bool((document.get("pcr") or {}).get("conforms", True)))
