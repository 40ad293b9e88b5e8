"""Fuzzing in the suite (issue 19 part 5): mutants of the example models, PCR files, SKU tables,
signed declarations, result files and import archives (tests/fuzz_util.py) give a clean pcf
error or a finite, sane result, never another exception, never more than a few seconds of CPU.

The hypothesis tests are derandomized and small (a few dozen mutants per input, ~40 s in all);
benchmarks/fuzz.py runs 10,000 model mutants and 1,000 of each other input with the same
mutators and oracles. A handful of mutants go through the command line to check exit codes.
At the end: the inputs the fuzzer found (each failed before its fix).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcf.core.errors import PCFError
from tests import fuzz_util
from tests.conftest import REPO
from tests.conftest import flat

FUZZ = dict(derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
SEEDS = st.integers(0, 2 ** 31)
CACHE: dict = {}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Where mutants are written, next to copies of the battery examples (a table's models)."""
    path = tmp_path_factory.mktemp("fuzz")
    for example in (REPO / "examples/battery").glob("*.yaml"):
        shutil.copy(example, path / example.name)
    return path


@pytest.fixture(scope="module")
def bases(open_default, tmp_path_factory):
    """The unmutated inputs: a signed declaration, the NMC811 and PV results, an EcoSpold2 archive."""
    from pcf.api import compute
    from pcf.registry import issue
    from tests.registry_util import make_declaration, new_registry

    tmp = tmp_path_factory.mktemp("fuzz-bases")
    store, key, _, _ = new_registry(tmp)
    issued = issue(store, make_declaration(), key, 730, tmp / "labels", render=False)
    store.close()
    battery = compute(REPO / "examples/battery/nmc811-pack.yaml")
    pv = compute(REPO / "examples/pv/mono-si-module-cn.yaml")
    return {"declaration": json.loads(issued.files["declaration.json"].read_text(encoding="utf-8")),
            "result": battery.to_json(), "archive": fuzz_util.ecospold2_archive(),
            "results": {"battery": battery.result, "pv": pv.result}}


def _sane(kind: str, seed: int, folder: Path, bases: dict, call, *args) -> None:
    path, names = fuzz_util.make_mutant(kind, seed, 0, folder, bases)
    cpu = time.process_time()
    outcome, detail = fuzz_util.classify(call, path, *args)
    cpu = time.process_time() - cpu
    assert outcome in ("ok", "clean"), f"{kind} mutant of seed {seed} ({names}): {outcome}: {detail}"
    assert cpu < fuzz_util.HANG_S, f"{kind} mutant of seed {seed} ({names}) took {cpu:.1f} s of CPU"


@settings(max_examples=12, **FUZZ)
@given(seed=SEEDS)
def test_model_mutants(open_default, folder, bases, seed):
    _sane("model", seed, folder, bases, fuzz_util.footprint_verdict, CACHE, seed % 5 == 0)


@settings(max_examples=20, **FUZZ)
@given(seed=SEEDS)
def test_pcr_mutants(folder, bases, seed):
    _sane("pcr", seed, folder, bases, fuzz_util.pcr_verdict, bases["results"])


@settings(max_examples=60, **FUZZ)
@given(seed=SEEDS)
def test_sku_table_mutants(folder, bases, seed):
    _sane("table", seed, folder, bases, fuzz_util.table_verdict, folder / "nmc811-pack.yaml")


@settings(max_examples=60, **FUZZ)
@given(seed=SEEDS)
def test_signed_declaration_mutants(folder, bases, seed):
    _sane("declaration", seed, folder, bases, fuzz_util.declaration_verdict)


@settings(max_examples=20, **FUZZ)
@given(seed=SEEDS)
def test_result_file_mutants(folder, bases, seed):
    out = folder / "export.json"
    out.unlink(missing_ok=True)
    _sane("result", seed, folder, bases, fuzz_util.result_verdict, out)


@pytest.fixture(scope="module")
def imported_once(bd, folder, bases):
    """The unmutated archive imported once: the first import into a PCF_HOME writes bw2io's
    migrations (~15 s of CPU, shared with tests/test_import.py), not a mutant's time."""
    assert fuzz_util.archive_verdict(fuzz_util.write_zip(folder / "base.zip", bases["archive"]), "fz-base") is None


@settings(max_examples=4, **FUZZ)
@given(seed=SEEDS)
def test_import_archive_mutants(imported_once, folder, bases, seed):
    _sane("archive", seed, folder, bases, fuzz_util.archive_verdict, f"fz-archive-{seed}")


#: Texts a manufacturer's data may hold, for the fields an issued label and its statement print.
LABEL_TEXTS = ["", " ", "x" * 3000, "长" * 800, "W" * 120, "\u202eevil name", "a\u0000b", "\x1b[31mred",
               "</text><script>alert(1)</script>", "]]><!--", "{{ 7*7 }}", "{% raw %}", "😀" * 40, "e\u0301" * 60,
               "\"'<>&", "\u200b" * 50, "\uffff", "../../etc/passwd", "١٢٣", "ﷺ" * 60,
               "NMC811-PACK-75KWH-CATL-2026-EU-VARIANT-0042-REV-B" * 3]
LABEL_FIELDS = [("product", "name"), ("product", "id"), ("product", "declared_unit", "description"),
                ("study", "boundary"), ("study", "standard"), ("study", "background")]


@pytest.fixture(scope="module")
def issuing(tmp_path_factory):
    """A registry and its issuer's key, and a conforming result (tests/registry_util.py) as JSON."""
    from tests.registry_util import make_result, new_registry

    tmp = tmp_path_factory.mktemp("fuzz-issue")
    store, key, _, _ = new_registry(tmp, case=False)
    yield store, key, tmp, make_result()
    store.close()


@settings(max_examples=10, **FUZZ)
@given(seed=SEEDS)
def test_label_text_mutants_issued_with_their_pdfs(issuing, seed):
    """Result files whose printed texts (name, id, declared unit, study) hold awkward text, issued
    self-declared with their label and statement: a label with all its files, or a clean refusal
    (2026-12-06, by hand: a rule's unknown declared total was a bare ValueError)."""
    import random

    from pcf.declaration import read_declaration
    from pcf.registry import issue

    store, key, tmp, base = issuing
    rng = random.Random(seed)
    data = json.loads(json.dumps(base))
    data["product"]["id"] = f"FZ-{seed}"  # one current label a product
    for field in rng.sample(LABEL_FIELDS, rng.choice([1, 2, 3])):
        place = data
        for name in field[:-1]:
            place = place[name]
        place[field[-1]] = rng.choice(LABEL_TEXTS)
    path = tmp / "mutant.result.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    def verdict(path: Path):
        issued = issue(store, read_declaration(path), key, 730, tmp / "labels", self_declared=True)
        assert sorted(issued.files) == ["declaration.json", "label.pdf", "label.svg", "statement.pdf"]
        assert all(f.stat().st_size > 0 for f in issued.files.values())

    cpu = time.process_time()
    outcome, detail = fuzz_util.classify(verdict, path)
    assert outcome in ("ok", "clean"), f"seed {seed}: {outcome}: {detail}"
    assert time.process_time() - cpu < fuzz_util.HANG_S, f"seed {seed}"


def _pcf(*args, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PCF_HOME=str(home))
    return subprocess.run([sys.executable, str(REPO / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300, cwd=REPO)


def _first(kind: str, want: str, folder: Path, bases: dict, call, *args) -> tuple[Path, str]:
    """The first mutant of ``kind`` (seed 19, as benchmarks/fuzz.py) whose in-process outcome is ``want``."""
    for index in range(100):
        path, _ = fuzz_util.make_mutant(kind, 19, index, folder, bases)
        outcome, detail = fuzz_util.classify(call, path, *args)
        if outcome == want:
            return path, detail
    raise AssertionError(f"no {kind} mutant gave {want}")


def test_mutants_through_the_command_line(open_default, folder, bases):
    """A handful of mutants through ``pcf``: what is a pcf error in-process exits 2 with the same
    message and no traceback; a declaration verifies with the same exit code."""
    from pcf.api import verify_label

    home = Path(os.environ["PCF_HOME"])
    model, detail = _first("model", "clean", folder, bases, fuzz_util.footprint_verdict, CACHE)
    r = _pcf("footprint", model, "--out", folder / "out", home=home)
    message = detail.split(": ", 1)[1][:60]
    assert r.returncode == 2 and "Traceback" not in r.stderr and message in flat(r.stderr), \
        (detail, r.stderr)
    table, detail = _first("table", "clean", folder, bases, fuzz_util.table_verdict, folder / "nmc811-pack.yaml")
    r = _pcf("batch", table, "--model", folder / "nmc811-pack.yaml", "--out", folder / "batch", "--summary-only",
             home=home)
    assert r.returncode == 2 and "Traceback" not in r.stderr and detail.split(": ", 1)[1][:40] in r.stderr, \
        (detail, r.stderr)
    declaration, _ = _first("declaration", "ok", folder, bases, fuzz_util.declaration_verdict)
    r = _pcf("verify", declaration, "--offline", home=home)
    assert r.returncode == verify_label(str(declaration), offline=True).exit_code and not r.stderr, r.stderr
    pcr, _ = _first("pcr", "clean", folder, bases, fuzz_util.pcr_verdict, bases["results"])
    r = _pcf("footprint", REPO / "examples/battery/nmc811-pack.yaml", "--pcr", pcr, "--out", folder / "out2",
             home=home)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr


# --------------------------------------------------------------------------- what the fuzzer found


def test_a_result_file_with_an_integer_beyond_the_float_range(tmp_path, bases):
    # benchmarks/fuzz.py result mutant 2 (seed 19): 10**400 in a result JSON gave an
    # OverflowError from the codec's finiteness check
    data = json.loads(json.dumps(bases["result"]))
    data["totals"]["kg_co2e"] = 10 ** 400
    _refused_export(tmp_path, data, r"\$\.totals\.kg_co2e: inf is not a finite number")


def _refused_export(tmp_path: Path, data: dict, problem: str) -> None:
    """Exporting the result ``data`` (written to a file) is refused with ``<file>: not a valid pcf result:
    <problem>`` (a regular expression) and writes nothing."""
    from pcf.api import export
    from pcf.core.errors import SourceError

    path = tmp_path / "mutant.result.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SourceError, match=rf"^{path}: not a valid pcf result: {problem}"):
        export(path, "pact-v3", tmp_path / "out.json")
    assert not (tmp_path / "out.json").exists()


def test_a_signed_declaration_nested_too_deeply(tmp_path, bases):
    # benchmarks/fuzz.py declaration mutants 11 and 29 (seed 19): 100,000 nested brackets gave a
    # RecursionError from json in parse_document
    from pcf.api import verify_label

    path = tmp_path / "deep.declaration.json"
    text = json.dumps(bases["declaration"])
    path.write_text(text.replace("{", '{"deep": ' + "[" * 100_000 + "]" * 100_000 + ", ", 1), encoding="utf-8")
    v = verify_label(str(path), offline=True)
    assert v.verdict == "invalid" and v.checks[0].name == "format"
    assert v.checks[0].message == f"{path}: not a valid signed declaration (nested too deeply)"


@pytest.mark.parametrize("text, message", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"pcf": ' + "9" * 5000 + "}", "is not JSON"),
])
def test_supplier_and_head_files_nested_too_deeply_or_with_huge_integers(tmp_path, text, message):
    # the same json.loads faults in the other JSON inputs a user hands in
    from pcf.core.errors import ExchangeError
    from pcf.model.supplier import read_supplier_pcf
    from pcf.registry.errors import RegistryError
    from pcf.registry.head import read_head

    path = tmp_path / "doc.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExchangeError, match=message):
        read_supplier_pcf(path)
    with pytest.raises(RegistryError, match="not a readable signed head|not a signed head"):
        read_head(path)
    assert issubclass(ExchangeError, PCFError) and issubclass(RegistryError, PCFError)


def test_a_result_file_whose_rule_declares_an_unknown_total(tmp_path, bases):
    # result strings fuzzed through `pcf issue` (2026-12-06): totals.rule.declared_total "\ud83d" (any
    # unknown name) passed the codec as a plain string, then raised a bare ValueError when the declared
    # figure was computed (an internal error to the user)
    data = json.loads(json.dumps(bases["result"]))
    data["totals"]["rule"]["declared_total"] = "fossil_only"
    _refused_export(tmp_path, data, r"\$\.totals\.rule\.declared_total: expected one of 'including_biogenic', "
                                    "'excluding_biogenic', got a string")


def test_a_result_file_with_an_integer_of_5000_digits(tmp_path):
    # found reading results (issue 18 work, 2026-12-06): json.loads refuses an integer of more than 4,300
    # digits with a ValueError (not a JSONDecodeError), which went out as an internal error
    from pcf.core.errors import SourceError
    from pcf.declaration import read_declaration

    path = tmp_path / "digits.result.json"
    path.write_text('{"format": "pcf-result/1", "totals": ' + "9" * 5000 + "}", encoding="utf-8")
    with pytest.raises(SourceError, match=rf"^{path}: not a valid pcf result: an integer of more than 4,300 digits$"):
        read_declaration(path)
