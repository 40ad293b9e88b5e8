"""Mutators and oracles of the fuzzing of issue 19 part 5 (tests/test_fuzz.py, benchmarks/fuzz.py).

A mutator takes an input of pcf (model or PCR YAML, SKU table CSV, result or signed declaration
JSON, import archive) and a :class:`random.Random` and returns a mutant: keys deleted,
duplicated or retyped, numbers swapped for huge / negative / NaN / strings, unicode, deep nesting,
anchors and aliases, very long strings, edited amount expressions, rewired process links, lines
deleted, duplicated or cut. The same seed gives the same mutant.

An oracle runs a mutant through pcf in-process and says what happened (:data:`OUTCOMES`):

``ok``
    a finite, sane result (every number of the result JSON finite, no negative foreground supply);
``clean``
    a :class:`pcf.core.errors.PCFError` (a :class:`SourceError` names its file, with the line where
    known);
``traceback``
    any other exception (its type and message are kept);
``non-finite`` / ``negative-supply``
    a result with a NaN or infinity in it / a foreground process supplied a negative amount;
``hang``
    more than :data:`HANG_S` seconds of CPU (measured by the runner: benchmarks/fuzz.py).
"""

from __future__ import annotations

import io
import json
import math
import random
import traceback
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS = [REPO / "examples/battery/nmc811-pack.yaml", REPO / "examples/battery/lfp-pack.yaml",
          REPO / "examples/battery/nmc622-pack.yaml", REPO / "examples/pv/mono-si-module-cn.yaml",
          REPO / "examples/pv/mono-si-module-cn-c2g.yaml"]
PCRS = sorted((REPO / "pcr_rules").glob("*.yaml"))
SKUS = REPO / "examples/battery/skus.csv"
OUTCOMES = ("ok", "clean", "traceback", "hang", "non-finite", "negative-supply")
#: CPU seconds after which a mutant counts as a hang.
HANG_S = 5.0

HOSTILE_NUMBERS = [0, -0.0, -1, -1.0, 0.5, 2, -1e300, 1e300, 1e308, -1e308, 1e-320, 1e15, 1e16, -1e-15, 1e-16,
                   float("nan"), float("inf"), float("-inf"), 10 ** 400, 7 * 10 ** 4000, 2 ** 63, -(2 ** 63),
                   "1e400", "-1e400", "abc", "", " ", "12 kg", "0x10", "1_000", "NaN", "Infinity", True, False, None]
HOSTILE_STRINGS = ["", " ", "\u202e\u0645\u0631\u062d\u0628\u0627", "e\u0301\u0301\u0301", "\U0001f600" * 50,
                   "a\x00b", "\t\r\n", "\ufeff", "x" * 100_000, "\u00a1" * 20_000, "${HOME}", "../../etc/passwd",
                   "{{ 7*7 }}", "<script>alert(1)</script>", "=HYPERLINK(\"http://x\")", "'; DROP TABLE labels;--",
                   "%s%s%n", "NO", "0151", "~", "null", "1e400", "kg", "\\", "\"", "'", "#", ": ", "- ", "&a", "*a",
                   "!!python/object:os.system", "\u2028\u2029", "\udcff"]
EXPRESSIONS = ["{p} * 1e308 * 10", "{p} / 0", "{p} / ({p} - {p})", "-{p}", "{p} ** 1000", "{p} ** -1000",
               "round({p}, 400)", "round({p}, 2)", "round(1e300, 400)", "max()", "min({p})", "max({p}, -{p})",
               "(" * 300 + "{p}" + ")" * 300, "+".join(["1"] * 20_000), "-" * 5000 + "{p}", "10**400",
               "(-8)**(1/3)", "abs(-{p})", "pow({p}, 2, 3)", "pow({p}, 0.5)", "1e309", "nan", "inf", "-inf",
               "{p} if {p} > 0 else -1", "__import__('os').system('true')", "{p}.real", "[1, 2]", "lambda: 1",
               "{p} and 0", "not {p}", "{p} < 1", "unknown_name * 2", "{p}[0]", "'a' * 10**9", "9" * 5000,
               "{p} % 0", "{p} // 0", "exp({p} * 1000)", "log(-{p})", "sqrt(-1)", "log(0)", "{p} * -1e6",
               "1 - {p} * 1e6", "0 * {p}", "{p} - {p}", "1e-320 * {p}", "{p} ,", "{p}\n+1", "{p} # c"]
UNITS = ["kg", "g", "t", "kWh", "MJ", "item", "m2", "m3", "tkm", "kg km", "L", "kg/0", "", " ", "kg**1000",
         "1e400 kg", "meter ** (1/3)", "kg" * 20_000, "\u00a1", "@", "%", "degC", "K", "kg CO2e", "mol", "s**-1",
         "dimensionless", "kg / kg", "1/kg", "kWh*kWh", "EUR", "NaN kg", "kg kg kg kg kg"]


# --------------------------------------------------------------------------- YAML mutants


def _nodes(data, path=()):
    """Every (path, value) of a document (mappings and lists walked)."""
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _nodes(v, path + (i,))


def _get(data, path):
    for p in path:
        data = data[p]
    return data


def _set(data, path, value) -> None:
    _get(data, path[:-1])[path[-1]] = value


def _pick(rng: random.Random, data, want=None):
    nodes = [(p, v) for p, v in _nodes(data) if p and (want is None or want(p, v))]
    return rng.choice(nodes) if nodes else (None, None)


def _parameters(data) -> list[str]:
    params = data.get("parameters") if isinstance(data, dict) else None
    return list(params) if isinstance(params, dict) and params else ["x"]


def _process_ids(data) -> list:
    procs = data.get("processes") if isinstance(data, dict) else None
    ids = [p.get("id") for p in procs if isinstance(p, dict)] if isinstance(procs, list) else []
    return [i for i in ids if isinstance(i, str)] or ["nowhere"]


def _retype(value, rng: random.Random):
    choices = [[value], {"value": value}, str(value)[:50], 1, None, True, [], {}, "1", [1, "a", None]]
    return rng.choice(choices)


def _structural(data, rng: random.Random) -> str:
    """One structural change of ``data`` in place; returns its name."""
    kind = rng.choice(["delete", "retype", "number", "string", "expression", "rewire", "unit", "list", "negate",
                       "scale", "number", "expression", "rewire"])
    if kind == "delete":
        path, _ = _pick(rng, data)
        if path is not None:
            parent = _get(data, path[:-1])
            del parent[path[-1]]
    elif kind == "retype":
        path, value = _pick(rng, data)
        if path is not None:
            _set(data, path, _retype(value, rng))
    elif kind == "number":
        path, _ = _pick(rng, data, lambda p, v: isinstance(v, (int, float)) and not isinstance(v, bool))
        path = path or _pick(rng, data)[0]
        if path is not None:
            _set(data, path, rng.choice(HOSTILE_NUMBERS))
    elif kind == "string":
        path, _ = _pick(rng, data, lambda p, v: isinstance(v, str))
        if path is not None:
            _set(data, path, rng.choice(HOSTILE_STRINGS))
    elif kind == "expression":
        path, _ = _pick(rng, data, lambda p, v: p[-1] in ("amount", "per_reference_flow", "factor", "share",
                                                          "distance") or (len(p) == 2 and p[0] == "parameters"))
        if path is not None:
            _set(data, path, rng.choice(EXPRESSIONS).replace("{p}", rng.choice(_parameters(data))))
    elif kind == "rewire":  # an input drawn from another process (loops, self-loops)
        path, _ = _pick(rng, data, lambda p, v: p[-1] == "process" and "inputs" in p)
        if path is not None:
            _set(data, path, rng.choice(_process_ids(data)))
            _set(data, path[:-1] + ("amount",), rng.choice([0.5, 1, 1.0, 2, 10, -1, 0.999999, 1e6]))
    elif kind == "unit":
        path, _ = _pick(rng, data, lambda p, v: p[-1] == "unit")
        if path is not None:
            _set(data, path, rng.choice(UNITS))
    elif kind == "list":  # duplicate, drop or swap list items
        path, value = _pick(rng, data, lambda p, v: isinstance(v, list) and v)
        if path is not None:
            i, j = rng.randrange(len(value)), rng.randrange(len(value))
            op = rng.choice(["dup", "drop", "swap"])
            if op == "dup":
                value.insert(i, json.loads(json.dumps(value[j], default=str)))
            elif op == "drop":
                value.pop(i)
            else:
                value[i], value[j] = value[j], value[i]
    elif kind in ("negate", "scale"):
        path, value = _pick(rng, data, lambda p, v: isinstance(v, (int, float)) and not isinstance(v, bool))
        if path is not None:
            _set(data, path, -value if kind == "negate" else value * rng.choice([1e-9, 1e3, 1e9, 1e15, 0.999999]))
    return kind


LAUGHS = ('lol: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a}]\n" for a, b in zip("abcdefghi", "bcdefghij")))


def _textual(text: str, rng: random.Random) -> tuple[str, str]:
    """One change of the YAML text; returns (text, its name)."""
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    kind = rng.choice(["del-line", "dup-line", "swap-lines", "tab", "truncate", "bytes", "bom", "indent",
                       "directive", "tag", "laughs", "recursive", "alias", "deep", "long-line", "dup-key",
                       "comments", "number-token"])
    if kind == "del-line":
        del lines[i]
    elif kind in ("dup-line", "dup-key"):
        lines.insert(i, lines[i])
    elif kind == "swap-lines":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "tab":
        lines[i] = "\t" + lines[i]
    elif kind == "truncate":
        return text[:rng.randrange(len(text) + 1)], kind
    elif kind == "bytes":
        pos = rng.randrange(len(text) + 1)
        return text[:pos] + rng.choice(["\x00", "\x07", "\udcff", "\x85", "\u2028", "{", "}", "[", "]", "&", "*",
                                        "!", "|", ">", "%", "@", "`", '"', "'", "\\"]) + text[pos:], kind
    elif kind == "bom":
        return "\ufeff" + text, kind
    elif kind == "indent":
        lines[i] = " " * rng.choice([1, 3, 7, 40]) + lines[i]
    elif kind == "directive":
        return rng.choice(["%YAML 1.1\n---\n", "%YAML 1.2\n---\n", "%TAG ! tag:x,2000:\n---\n", "---\n",
                           "--- !!map\n"]) + text, kind
    elif kind == "tag":
        lines[i] = lines[i].replace(": ", ": " + rng.choice(["!!python/object:os.system ", "!!binary ", "!!float ",
                                                            "!foo ", "!!str "]), 1)
    elif kind == "laughs":
        return LAUGHS + text, kind
    elif kind == "recursive":
        return text.replace("processes:", "processes: &p [*p]\nother:", 1), kind
    elif kind == "alias":
        return text.replace("\nparameters:", "\nparameters: &params", 1).replace(
            "\nexchange:", "\nexchange: *params\nexchange_:", 1), kind
    elif kind == "deep":
        n = rng.choice([50, 70, 1000, 10_000])
        lines[i] = lines[i].split(": ")[0] + ": " + "[" * n + "1" + "]" * n if ": " in lines[i] else lines[i]
    elif kind == "long-line":
        lines.insert(i, "# " + "x" * rng.choice([10_000, 1_000_000]))
    elif kind == "comments":
        return text + ("# " + "c" * 998 + "\n") * rng.choice([10, 5000]), kind
    elif kind == "number-token":
        token = rng.choice(["1e400", "-1e400", ".nan", ".inf", "-.inf", "0x1F", "0o17", "1_000", "NO", "0151",
                            "9" * 5000, "-0", "1e-400", "+12", "12.", ".5", "2024-02-30", "~"])
        lines[i] = lines[i].rsplit(": ", 1)[0] + ": " + token if ": " in lines[i] else lines[i]
    return "\n".join(lines), kind


_PARSED: dict[str, bytes] = {}


def _parsed(text: str):
    """``text`` parsed by pcf's YAML reader; the unmutated bases are remembered (pickled)."""
    import pickle

    from pcf.core.yamlsrc import load_text

    if text in _PARSED:
        return pickle.loads(_PARSED[text])
    data, _ = load_text(text, "base.yaml")
    if len(_PARSED) < 16:
        _PARSED[text] = pickle.dumps(data)
    return data


def mutate_yaml(text: str, rng: random.Random, max_changes: int = 3) -> tuple[str, list[str]]:
    """A mutant of a YAML document: 1..``max_changes`` structural or textual changes."""
    from ruamel.yaml import YAML

    names = []
    for _ in range(rng.randint(1, max_changes)):
        if rng.random() < 0.6:
            try:
                data = _parsed(text)
            except Exception:  # an earlier change broke it: keep changing the text
                data = None
            if isinstance(data, dict):
                names.append(_structural(data, rng))
                out = io.StringIO()
                yaml = YAML(typ="safe", pure=True)
                yaml.default_flow_style = False
                yaml.allow_unicode = True
                yaml.width = 4096
                try:
                    yaml.dump(data, out)
                    text = out.getvalue()
                    continue
                except Exception:  # e.g. a lone surrogate: mutate the text instead
                    names.pop()
        text, name = _textual(text, rng)
        names.append(name)
    return text, names


def write_text(path: Path, text: str) -> Path:
    """Write a mutant as UTF-8 (a lone surrogate written as its raw bytes: invalid UTF-8)."""
    path.write_bytes(text.encode("utf-8", "surrogateescape" if "\udcff" in text else "surrogatepass")
                     if any("\ud800" <= c <= "\udfff" for c in text) else text.encode("utf-8"))
    return path


# --------------------------------------------------------------------------- CSV, JSON and archive mutants


def mutate_csv(text: str, rng: random.Random, max_changes: int = 3) -> tuple[str, list[str]]:
    """A mutant of a SKU table: cells, quotes, columns, lines."""
    names = []
    lines = text.split("\n")
    for _ in range(rng.randint(1, max_changes)):
        i = rng.randrange(len(lines))
        kind = rng.choice(["cell", "cell", "number", "quote", "long", "column", "del-line", "dup-line", "header",
                           "model", "scenario", "nul", "blank-lines", "crlf"])
        cells = lines[i].split(",")
        j = rng.randrange(len(cells))
        if kind == "cell":
            cells[j] = rng.choice(HOSTILE_STRINGS)[:200].replace("\n", " ")
        elif kind == "number":
            cells[j] = str(rng.choice(HOSTILE_NUMBERS))[:200]
        elif kind == "quote":
            cells[j] = rng.choice(['"open', 'a"b', '"a"b"', '""', '"', '"x""y"', '"multi\nline"'])
        elif kind == "long":
            cells[j] = "x" * rng.choice([131_072, 131_073, 500_000])
        elif kind == "column":
            cells.insert(j, rng.choice(["", "id", "capacity_kwh", "#c", "model", "unknown_parameter", "ID"]))
        elif kind == "del-line":
            lines.pop(i)
            names.append(kind)
            continue
        elif kind == "dup-line":
            lines.insert(i, lines[i])
            names.append(kind)
            continue
        elif kind == "header":
            lines[0] = rng.choice(["", "name,cap", "id,id", "ID,Name,MODEL", lines[0] + ",capacity_kwh",
                                   lines[0].replace("id", "#id", 1), "\ufeff" + lines[0]])
            names.append(kind)
            continue
        elif kind == "model":
            cells[min(2, len(cells) - 1)] = rng.choice([".", "..", "/", "missing.yaml", "skus.csv", "a\x00b",
                                                        "x" * 5000, "../battery", "/dev/null", "lfp-pack.yaml"])
        elif kind == "scenario":
            cells[min(3, len(cells) - 1)] = rng.choice(["nope", "base", "", "grid_east_china", "x" * 1000])
        elif kind == "nul":
            cells[j] += "\x00"
        elif kind == "blank-lines":
            lines.insert(i, "\n" * rng.choice([1, 100]))
            names.append(kind)
            continue
        elif kind == "crlf":
            lines[i] += "\r"
        lines[i] = ",".join(cells)
        names.append(kind)
    return "\n".join(lines), names


def mutate_json(data, rng: random.Random, max_changes: int = 3) -> tuple[str, list[str]]:
    """A mutant of a JSON document (a result or a signed declaration): structure, then maybe text."""
    data = json.loads(json.dumps(data))
    names = []
    for _ in range(rng.randint(1, max_changes)):
        names.append(_structural(data, rng))
    try:
        text = json.dumps(data, ensure_ascii=rng.random() < 0.5, allow_nan=True)
    except (ValueError, OverflowError, TypeError):
        text = json.dumps(data, default=str)
    if rng.random() < 0.3:
        kind = rng.choice(["truncate", "dup-key", "bytes", "nan-token", "deep"])
        pos = rng.randrange(len(text) + 1)
        if kind == "truncate":
            text = text[:pos]
        elif kind == "dup-key":
            text = text.replace("{", '{"format": 1, ', 1)
        elif kind == "bytes":
            text = text[:pos] + rng.choice(["\x00", "\udcff", "}", "]", ",", '"', "\\"]) + text[pos:]
        elif kind == "nan-token":
            text = text.replace(": 0.", ": NaN, \"x\": 0.", 1)
        else:
            text = text.replace("{", '{"deep": ' + "[" * 100_000 + "]" * 100_000 + ", ", 1)
        names.append(kind)
    return text, names


def mutate_archive(files: dict[str, bytes], rng: random.Random, max_changes: int = 3) -> tuple[bytes, list[str]]:
    """A mutant of an import archive (zip of member name -> bytes): members edited, added,
    renamed, dropped; the zip itself cut or flipped."""
    files = dict(files)
    names = []
    for _ in range(rng.randint(1, max_changes)):
        kind = rng.choice(["member-bytes", "member-text", "drop", "rename", "add", "truncate-member", "json"])
        name = rng.choice(sorted(files)) if files else None
        if name is None:
            kind = "add"
        if kind == "member-bytes":
            data = bytearray(files[name])
            for _ in range(rng.randint(1, 8)):
                if data:
                    data[rng.randrange(len(data))] = rng.randrange(256)
            files[name] = bytes(data)
        elif kind == "member-text":
            text, sub = mutate_yaml(files[name].decode("utf-8", "replace"), rng, 1) if not name.endswith(".json") \
                else (files[name].decode("utf-8", "replace"), ["same"])
            files[name] = text.encode("utf-8", "surrogatepass")
        elif kind == "json" and name.endswith(".json"):
            try:
                text, _ = mutate_json(json.loads(files[name]), rng, 2)
                files[name] = text.encode("utf-8", "surrogatepass")
            except ValueError:
                files[name] = b"{"
        elif kind == "drop":
            files.pop(name)
        elif kind == "rename":
            files[rng.choice(["../evil.json", "/abs.json", "a/" * 50 + "x.json", "processes/\u00e9.json",
                              name + ".bak", name.upper()])] = files.pop(name)
        elif kind == "add":
            files[rng.choice(["extra.json", "processes/extra.json", "flows/x.json", "x.xml", "context.json"])] = \
                rng.choice([b"{}", b"[]", b"null", b"<a/>", b"\x00" * 100, b'{"@type": "Process"}'])
        elif kind == "truncate-member":
            files[name] = files[name][:rng.randrange(len(files[name]) + 1)]
        names.append(kind)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    blob = buf.getvalue()
    if rng.random() < 0.1:
        blob = blob[:rng.randrange(len(blob) + 1)]
        names.append("cut-zip")
    return blob, names


# --------------------------------------------------------------------------- oracles


def non_finite(data, path="$") -> str | None:
    """The JSON path of the first NaN or infinity in ``data`` (None when all finite)."""
    stack = [(path, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return where
        if isinstance(value, dict):
            stack.extend((f"{where}.{k}", v) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(value))
    return None


def classify(call, *args) -> tuple[str, str]:
    """Run ``call(*args)`` and classify: ``(outcome, detail)``; ``call`` returns None when its
    result is sane, else ``(outcome, detail)``."""
    from pcf.core.errors import PCFError, SourceError

    try:
        verdict = call(*args)
    except PCFError as exc:
        text = str(exc)
        if isinstance(exc, SourceError) and not text.startswith(exc.path):
            return "traceback", f"{type(exc).__name__} without its file: {text[:300]}"
        return "clean", f"{type(exc).__name__}: {text[:300]}"
    except BaseException as exc:  # noqa: BLE001 - anything else is the finding
        if isinstance(exc, KeyboardInterrupt):
            raise
        frames = traceback.extract_tb(exc.__traceback__)
        where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames) if "/pcf/" in f.filename),
                     f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?")
        return "traceback", f"{type(exc).__name__} at {where}: {str(exc)[:300]}"
    return verdict if verdict is not None else ("ok", "")


def footprint_verdict(path: Path, cache: dict, full: bool = False) -> tuple[str, str] | None:
    """A model's footprint in-process, then the result's numbers and the foreground supply;
    None when sane.

    The footprint is ``pcf batch``'s full result of the model as written (load, lint with its
    PCR, :func:`pcf.lca.prepare.prepare` without a database write, reusing ``cache``'s
    background, :func:`pcf.lca.calculate.evaluate`, declaration): the feasibility guards and the
    non-finite refusal of ``pcf footprint``, a tenth of its time. ``full``: :func:`pcf.api.compute`
    itself (the foreground database written and the decomposition checked against bw2calc's
    score)."""
    from pcf.api import compute
    from pcf.declaration import build_declaration
    from pcf.graph import link_foreground
    from pcf.lca.calculate import evaluate
    from pcf.lca.inventory import Inventory
    from pcf.lca.prepare import prepare
    from pcf.model import load_model
    from pcf.model.lint import raise_errors
    from pcf.pcr.assess import resolve_pcr
    from pcf.pcr.lint import lint_system

    system = load_model(path)
    pcr = resolve_pcr(system.model.study.pcr)
    raise_errors(lint_system(system, pcr))
    prepared = prepare(system, solve=False, cache=cache)
    declaration = compute(path) if full else build_declaration(evaluate(system, prepared), pcr)
    where = non_finite(declaration.to_json())
    if where:
        return "non-finite", where
    data, graph = link_foreground(system, prepared.links)
    inventory = Inventory.build(data, graph, prepared.char, prepared.flows)
    supply = inventory.solve(system.reference_amount, prepared.char).supply[0]
    if (supply < -1e-9 * max(1.0, float(abs(supply).max()))).any():
        worst = int(supply.argmin())
        return "negative-supply", f"{inventory.processes[worst]}: {float(supply[worst])}"
    return None


def pcr_verdict(path: Path, results: dict) -> tuple[str, str] | None:
    """A PCR file loaded (:func:`pcf.pcr.load_pcr`) and a computed result declared and assessed
    under it (``results``: ``battery`` and ``pv`` :class:`FootprintResult`); None when sane."""
    from pcf.declaration import build_declaration
    from pcf.pcr import load_pcr

    pcr = load_pcr(path)
    declaration = build_declaration(results["pv" if "pv" in path.name else "battery"], pcr)
    where = non_finite(declaration.to_json())
    return ("non-finite", where) if where else None


def table_verdict(path: Path, model: Path, batch_out: Path | None = None) -> tuple[str, str] | None:
    """A SKU table read row by row (:class:`pcf.batch.SkuTable`); with ``batch_out`` also run as
    a summary-only batch (:func:`pcf.batch.run_batch`) whose summary must be finite."""
    import csv

    from pcf.batch import SkuTable, run_batch

    for row in SkuTable(path, model):
        if not row.error and not all(math.isfinite(v) for v in row.overrides.values()):
            return "non-finite", f"row {row.row}: {row.overrides}"
    if batch_out is not None:
        run_batch(path, batch_out, model, results=False)
        limit = csv.field_size_limit(1 << 24)  # a name at the table's limit, quoted in the summary
        try:
            with open(batch_out / "summary.csv", newline="", encoding="utf-8") as f:
                for row in csv.DictReader(f):
                    for key, value in row.items():
                        if value and value.strip().lower() in ("nan", "inf", "-inf", "infinity", "-infinity"):
                            return "non-finite", f"summary row {row.get('row')}: {key}={value}"
        finally:
            csv.field_size_limit(limit)
    return None


def declaration_verdict(path: Path) -> tuple[str, str] | None:
    """A signed declaration verified offline (:func:`pcf.api.verify_label`): any verdict is sane,
    and what ``pcf verify`` prints of it must be short."""
    from pcf.api import verify_label

    v = verify_label(str(path), offline=True)
    shown = v.shown()
    json.dumps(v.to_dict())
    longest = max([len(str(x)) for x in vars(shown).values() if isinstance(x, str)] +
                  [len(c.message) for c in shown.checks] or [0])
    return ("traceback", f"a printed field of {longest} characters") if longest > 400 else None


def result_verdict(path: Path, out: Path) -> tuple[str, str] | None:
    """A result JSON exported to PACT v3 (:func:`pcf.api.export`, which reads it with the
    pcf-result/1 codec); the export must be finite."""
    from pcf.api import export

    written = export(path, "pact-v3", out)
    where = non_finite(json.loads(Path(written).read_text(encoding="utf-8")))
    return ("non-finite", where) if where else None


def archive_verdict(path: Path, name: str) -> tuple[str, str] | None:
    """An EcoSpold2 zip imported (:func:`pcf.api.import_database`) and removed again."""
    from pcf.api import import_database, remove_database

    report = import_database(path, "ecospold2", name, replace=True)
    try:
        where = non_finite(dataclasses_dict(report))
    finally:
        remove_database(name)
    return ("non-finite", where) if where else None


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    """``files`` (member name -> bytes) as a zip at ``path``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def dataclasses_dict(report) -> dict:
    import dataclasses

    return dataclasses.asdict(report) if dataclasses.is_dataclass(report) else dict(vars(report))


# --------------------------------------------------------------------------- base inputs

CO2_FOSSIL_AIR = "349b29d1-3e58-4c66-98b9-9d1a076efd2e"  # biosphere3 'Carbon dioxide, fossil' (air)


def ecospold2_archive() -> dict[str, bytes]:
    """Two EcoSpold2 activities (tests/test_import.py's widget and steel) as zip members."""
    import uuid

    from tests.test_import import INPUT, SPOLD

    rng = random.Random(7)

    def u() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    common = dict(geo=u(), unit_id=u(), sub=u(), person=u(), co2_id=CO2_FOSSIL_AIR)
    steel_act, steel_prod, widget_act, widget_prod = u(), u(), u(), u()
    steel = SPOLD.format(act=steel_act, act_name=u(), name="steel production", ref_ex=u(), product=steel_prod,
                         product_name="steel", inputs="", co2_ex=u(), co2=3.0, **common)
    inputs = INPUT.format(ex=u(), amount=2.0, product=steel_prod, provider=steel_act, product_name="steel", **common)
    widget = SPOLD.format(act=widget_act, act_name=u(), name="widget production", ref_ex=u(), product=widget_prod,
                          product_name="widget", inputs=inputs, co2_ex=u(), co2=0.5, **common)
    return {f"datasets/{steel_act}_{steel_prod}.spold": steel.encode(),
            f"datasets/{widget_act}_{widget_prod}.spold": widget.encode()}


KINDS = ("model", "pcr", "table", "declaration", "result", "archive")


def make_mutant(kind: str, seed: int, index: int, folder: Path, bases: dict) -> tuple[Path, list[str]]:
    """Mutant ``index`` of input ``kind`` for ``seed``, written into ``folder`` (the same
    arguments give the same file). ``bases``: ``declaration`` (a signed declaration dict) and
    ``result`` (a result JSON dict) for those kinds."""
    rng = random.Random(f"{seed}:{kind}:{index}")
    if kind in ("model", "pcr"):
        base = rng.choice(MODELS if kind == "model" else PCRS)
        text, names = mutate_yaml(base.read_text(encoding="utf-8"), rng)
        target = folder / (f"mutant-{base.name}" if kind == "model" else base.name)
        return write_text(target, text), [base.name, *names]
    if kind == "table":
        lines = SKUS.read_text(encoding="utf-8").split("\n")
        picked = [lines[0]] + rng.sample(lines[1:-1], 6)
        text, names = mutate_csv("\n".join(picked) + "\n", rng)
        return write_text(folder / "skus.csv", text), names
    if kind in ("declaration", "result"):
        text, names = mutate_json(bases[kind], rng)
        return write_text(folder / f"mutant.{kind}.json", text), names
    blob, names = mutate_archive(bases["archive"], rng)
    target = folder / "mutant.zip"
    target.write_bytes(blob)
    return target, names
