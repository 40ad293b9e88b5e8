"""Preparation of a batch: one :class:`Plan` per model structure (model file and scenario).

Parameters change amounts, never which activities a process draws on, so every SKU of one
model and scenario shares a structure: the plan links it and characterises its background
once (:func:`pcf.lca.prepare.prepare`, no database written). A scenario that swaps inputs
is another structure with its own plan. Backgrounds are characterised once per method and
set of databases however many plans use them.

A plan is self-contained (it pickles): worker processes and dask workers evaluate SKUs from
it without bw2data, a background database or the model files: it carries the bytes of every
file its model read (the model and its ``supplier_pcf`` documents, :mod:`pcf.core.sources`),
and rows are loaded from those under the paths the client used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import __version__
from ..background import method_spec
from ..core import yamlsrc
from ..core.bw import user_project
from ..core.errors import PCFError
from ..core.sources import Sources, recording, serving
from ..core.srcdigest import source_digest
from ..graph import foreground_name, link_foreground
from ..lca import warmcache
from ..lca.prepare import Prepared, prepare
from ..model import load_model
from ..model.loader import remember_scenarios_checked, scenarios_checked
from ..model.lint import raise_errors
from ..pcr.lint import lint_system

BASE = "base"


@dataclass
class Plan:
    """Everything needed to evaluate the SKUs of one model and scenario.

    Attributes
    ----------
    model : str
        The model file.
    scenario : str
        Scenario name, empty for the model as written.
    prepared : Prepared or None
        Links and characterised background; None when the plan failed.
    parameters : dict of str to float
        Parameter values of the model under the scenario (what an empty cell keeps).
    pcr : pcf.pcr.PCR or None
        The model's PCR (``study.pcr``), for the assessment, class and verdict.
    product : dict
        ``{id, name}`` of the model's product (the family the SKUs belong to).
    model_sha256 : str
        SHA-256 of the model file.
    fingerprint : str
        What the results of this plan depend on besides a row's own cells: model file,
        scenario, background content, method and pcf version (part of each row's input hash).
    error : str
        Why the plan failed (``file:line: ...``), empty when it did not.
    sources : pcf.core.sources.Sources
        The files loading the model read (model, supplier footprints), for :meth:`files`.
    warm : str
        Where :func:`remember` keeps the preparation for the next batch of this plan (empty:
        it is not kept).
    read : pcf.core.sources.Sources
        The other files its preparation read (the PCR), for the kept plan's check (:func:`_kept_plan`).
    kind : str
        :func:`make_plan`'s ``warm``: the kind of batch the plan is kept for (empty: not kept).
    parsed : dict
        The parses of the YAML files it read (:func:`pcf.core.yamlsrc.parsed`), remembered by
        :meth:`files` in the process that uses the plan: a worker then loads its rows without
        parsing the model again (0.27 s of CPU for the NMC811 pack, per worker).
    checked : frozenset
        The model's scenarios as checked when the plan was made
        (:func:`pcf.model.loader.scenarios_checked`), remembered by :meth:`files` too: a worker
        does not check them again (0.1 s of CPU for the NMC811 pack's eleven scenarios).
    """

    model: str
    scenario: str
    prepared: Prepared | None
    parameters: dict
    pcr: object
    product: dict
    model_sha256: str
    fingerprint: str
    error: str = ""
    sources: Sources = field(default_factory=Sources)
    warm: str = ""
    read: Sources = field(default_factory=Sources, repr=False, compare=False)
    kind: str = ""
    parsed: dict = field(default_factory=dict, repr=False, compare=False)
    checked: frozenset = field(default_factory=frozenset, repr=False, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.model, self.scenario)

    def files(self):
        """Context in which the model loader reads the plan's own copy of its files
        (:func:`pcf.core.sources.serving`), never the disk of this process, and finds their
        parses (:attr:`parsed`)."""
        yamlsrc.remember_parsed(self.parsed)
        remember_scenarios_checked(self.checked)
        return serving(self.sources)


def make_plan(model: str, scenario: str, cache: dict | None = None, warm: str = "") -> Plan:
    """Prepare the plan of one model and scenario; a failure becomes the plan's ``error``.

    Parameters
    ----------
    model : str
        Model file.
    scenario : str
        Scenario name, empty (or ``base``) for the model as written.
    cache : dict, optional
        Background characterisations shared between plans (:func:`pcf.lca.prepare.prepare`).
    warm : str
        A name for the kind of batch (``full``, ``summary``): the preparation a former batch of
        the same kind kept of this model and scenario (:func:`remember`) is used when the
        Brightway project and pcf are still what they were (:mod:`pcf.lca.warmcache`), without
        importing bw2data; empty: always prepared.
    """
    kept = _kept_path(model, scenario, warm) if warm and user_project() is None else None
    plan = _kept_plan(kept) if kept is not None else None
    if plan is not None:
        return plan
    record = None
    try:
        with recording() as read:  # besides the model's own files (``sources``): the PCR
            with recording() as sources:
                system = load_model(model, scenario=scenario or None)
            path = _warm_path(system, scenario, warm) if kept is not None else None
            record = warmcache.load(path) if path is not None else None
            prepared = _warm_prepared(system, record) if record is not None else None
            if prepared is None:
                record = None
                prepared = prepare(system, solve=False, cache=cache, keep=path is not None)
            pcr = None
            if system.model.study.pcr:
                from ..pcr import load_pcr

                pcr = load_pcr(system.model.study.pcr)
            raise_errors(lint_system(system, pcr))  # as pcf footprint: an unreachable process refuses the model
    except PCFError as exc:
        sha = hashlib.sha256(Path(model).read_bytes()).hexdigest() if Path(model).is_file() else ""
        return Plan(model, scenario, None, {}, None, {}, sha, _fingerprint(sha, scenario, "", ""), str(exc))
    product = system.model.product
    plan = Plan(model, scenario, prepared, dict(system.parameters), pcr, {"id": product.id, "name": product.name},
                system.sha256, _fingerprint(system.sha256, scenario, prepared.background.sha256, prepared.spec.id),
                sources=sources, warm=str(path) if path is not None and prepared.warm is not None else "",
                read=read, kind=warm, parsed=yamlsrc.parsed({**sources.files, **read.files}),
                checked=scenarios_checked(system.path))
    if record is not None:  # from a former batch's preparation: kept whole for the next batch
        _keep_plan(plan, Path(record["project"]), record["processed"], record["method_processed"], record["state"])
    return plan


def _warm_path(system, scenario: str, kind: str) -> Path:
    """The warm record of a plan (:mod:`pcf.lca.warmcache`): per kind of batch, model content,
    scenario, foreground, method and background (and pcf's source, in the record's name)."""
    study = system.model.study
    name = f"pcf-batch-{kind}\n{system.sha256}\n{scenario}\n{foreground_name(system)}"
    return warmcache.locate(name, method_spec(study.method).name, study.background)


def _warm_prepared(system, record: dict) -> Prepared | None:
    """The preparation a former batch kept (:func:`remember`; ``record``, read by
    :func:`pcf.lca.warmcache.load` when the project is unchanged), when the model links to the
    same activities and flows; None otherwise (then it is prepared again, which gives any
    error)."""
    prepared = record["prepared"]
    try:
        if prepared.spec != method_spec(system.model.study.method) or prepared.links.suppliers:
            return None
        data, graph = link_foreground(system, prepared.links)
    except (PCFError, KeyError, ValueError, TypeError):
        return None
    flows = {tuple(e["input"]) for act in data.values() for e in act["exchanges"] if e["type"] == "biosphere"}
    if list(graph.links) != list(prepared.char.index) or not flows <= set(prepared.flows):
        return None
    prepared = replace(prepared, background_cache="warm", warm=None)
    prepared.foreground_nodes(data)
    return prepared


def remember(plan: Plan) -> bool:
    """Keep the plan's preparation for the next batch of it (:func:`make_plan` ``warm``), after
    the batch used it (with every activity its results asked for), unless the project changed
    meanwhile; whether a record was written."""
    prepared = plan.prepared
    state = prepared.warm if prepared is not None else None
    if not plan.warm or state is None or state["before"] is None or prepared.links.suppliers:
        return False
    kept = replace(prepared, warm=None, score=None, background_cache=None)
    done = warmcache.store(Path(plan.warm), state["project"], state["processed"], state["method_processed"],
                           state["before"], kept)
    if done:  # the plan as the next batch's make_plan would make it from that record
        _keep_plan(replace(plan, prepared=replace(kept, background_cache="warm"), warm=""), state["project"],
                   state["processed"], state["method_processed"], state["before"])
    return done


KEPT_PLAN = "pcf-batch-plan/1"


def _kept_path(model: str, scenario: str, kind: str) -> Path | None:
    """Where the whole plan of a model (by its path as given) and scenario is kept for the next
    batch of this kind (:func:`_keep_plan`), next to the warm records (``PCF_HOME/cache/warm``,
    ``pcf cache clear`` removes it); pcf's source digest is part of the name."""
    text = "\n".join([KEPT_PLAN, source_digest(), kind, str(model), scenario, str(Path.cwd())])
    return warmcache.cache_folder() / f"{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()}.plan.pickle"


def _keep_plan(plan: Plan, project, processed: dict, method_processed: str, state: dict) -> bool:
    """Keep ``plan`` whole (its preparation, parameters, PCR and the bytes of every file it read)
    with the parses of its YAML files (:func:`pcf.core.yamlsrc.parsed`), valid while the
    Brightway project is in ``state`` (:func:`pcf.lca.warmcache.store`) and the files are
    unchanged (:func:`_kept_plan`); whether it was written."""
    if not plan.warm and plan.prepared is not None and plan.prepared.warm is None and not plan.error:
        files = {**plan.sources.files, **plan.read.files}
        value = {"plan": replace(plan, warm="", parsed={}), "parsed": yamlsrc.parsed(files)}
        return warmcache.store(_kept_path(plan.model, plan.scenario, plan.kind), project, processed, method_processed,
                               state, value)
    return False


def _kept_plan(path: Path) -> Plan | None:
    """The plan :func:`_keep_plan` kept at ``path`` when the Brightway project is unchanged
    (:func:`pcf.lca.warmcache.load`) and every file it read (the model, its ``supplier_pcf``
    documents, the PCR) holds the same bytes under the same resolved path; None otherwise.
    Its YAML parses are remembered (:func:`pcf.core.yamlsrc.remember_parsed`), so that its
    rows load the model without parsing it."""
    record = warmcache.load(path) if path.is_file() else None
    value = record["prepared"] if record is not None else None
    if not isinstance(value, dict) or not isinstance(value.get("plan"), Plan):
        return None
    plan = value["plan"]
    try:
        for name, data in {**plan.sources.files, **plan.read.files}.items():
            if Path(name).read_bytes() != data:
                return None
        for name, resolved in {**plan.sources.resolved, **plan.read.resolved}.items():
            if str(Path(name).resolve()) != resolved:
                return None
    except (OSError, ValueError):
        return None
    plan.parsed = value["parsed"]
    yamlsrc.remember_parsed(plan.parsed)
    return plan


def _fingerprint(model_sha: str, scenario: str, background_sha: str, method: str) -> str:
    text = "\n".join(["pcf-batch/1", __version__, model_sha, scenario or BASE, background_sha, method])
    return hashlib.sha256(text.encode()).hexdigest()
