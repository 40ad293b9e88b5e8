"""``pcf recompute DECLARATION --model MODEL`` (issue 14 part 6, docs/recompute.md).

A small linear model is computed to a result file with ``pcf footprint`` and recomputed:
the same model gives "same declared value" (exit 0); an edited amount names the model's
SHA-256 (recorded and now, both computed here from the two files) and the declared value
old and new, worked by hand; a changed background table, method hash or software version
is named; bad input exits 2 without a traceback.

Hand values: the background table below gives steel 2.0 kg CO2 (fossil) per kg, whose
IPCC 2021 GWP100 factor is 1 [kg CO2e / kg CO2]. The model's one process emits 1 kg fossil
CO2 and uses 2 kg steel per item: 1 + 2 x 2.0 = 5.0 kg CO2e per item; the declared unit is
10 per item, so 0.5 kg CO2e per declared unit. No biogenic CO2 and no dLUC, so every
accounting rule declares that figure. With 3 kg steel: 1 + 3 x 2.0 = 7.0 and 0.7 (+40 %).
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from tests.registry_util import cli_issuer_key, location
from tests.conftest import flat

runner = CliRunner()

BACKGROUND = "recompute-bg"  # only these tests write it, so one of them may change it

TABLE = """\
key,name,reference_product,unit,location,year,co2_fossil,ch4_fossil,ch4_biogenic,n2o,co2_biogenic,co2_dluc,sf6,nf3,cf4,c2f6,co2e_unsplit,gwp_basis,aircraft,factor_ids,source,note,dqr_ter,dqr_ger,dqr_tir,dqr_p
steel,steel,steel,kg,GLO,2022,2.0,,,,,,,,,,,AR6,,,test table written by hand,,1,1,1,1
"""

MODEL = textwrap.dedent(f"""\
    format: pcf-model/1
    product:
      id: LINEAR
      name: Linear product
      process: make
      reference_flow: {{amount: 1, unit: item}}
      declared_unit: {{unit: kWh, description: test, per_reference_flow: 10}}
    study: {{background: {BACKGROUND}, method: ipcc-2021-gwp100}}
    processes:
      - id: make
        name: Make
        stage: production
        output: {{amount: 1, unit: item}}
        inputs:
          - {{background: steel, amount: 2, unit: kg}}
        emissions:
          - {{substance: carbon dioxide, origin: fossil, amount: 1, unit: kg}}
    """)


def write_background(bd, steel_co2: float = 2.0) -> None:
    """(Re)write the background ``recompute-bg`` with steel at ``steel_co2`` [kg CO2 / kg]."""
    from pcf.background.opendefault import write_open_default
    from pcf.core.bw import pcf_home

    table = Path(pcf_home()) / f"{BACKGROUND}.csv"
    table.write_text(TABLE.replace("2022,2.0,", f"2022,{steel_co2},"), encoding="utf-8")
    write_open_default(bd, table, BACKGROUND)


@pytest.fixture
def computed(bd, tmp_path):
    """(model file, result file) of the linear model, computed with ``pcf footprint``."""
    write_background(bd)
    model = tmp_path / "linear.yaml"
    model.write_text(MODEL, encoding="utf-8")
    run = runner.invoke(cli.app, ["footprint", str(model), "--out", str(tmp_path / "out")])
    assert run.exit_code == 0, run.output
    return model, tmp_path / "out" / "LINEAR.result.json"


def recompute(declaration, model):
    return runner.invoke(cli.app, ["recompute", str(declaration), "--model", str(model)])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_same_model_gives_the_same_declared_value(computed):
    model, result = computed
    data = json.loads(result.read_text())
    assert data["totals"]["declared"] == pytest.approx(5.0, rel=1e-6)  # the hand value above
    assert len(data["provenance"]["method_sha256"]) == 64
    run = recompute(result, model)
    assert run.exit_code == 0, run.output
    assert run.output.startswith("same declared value (5 kg CO2e / reference flow, 0.5 kg CO2e / kWh recorded)")
    assert "same inputs: model sha256" in flat(run.output) and "method id and factors sha256" in flat(run.output)


def test_an_edited_amount_names_the_model_hash_and_both_values(computed):
    model, result = computed
    old = sha256(model)
    model.write_text(MODEL.replace("amount: 2, unit: kg", "amount: 3, unit: kg"), encoding="utf-8")
    run = recompute(result, model)
    assert run.exit_code == 1, run.output
    text = flat(run.output)
    assert text.startswith("different declared value")
    assert f"model sha256: recorded {old}, now {sha256(model)}" in text
    assert "declared value per reference flow: recorded" in text and _values_in(text, 5.0, 7.0, "reference flow")
    assert _values_in(text, 0.5, 0.7, "kWh")
    assert "1 recorded input differs" in text


def _values_in(text: str, old: float, new: float, unit: str) -> bool:
    """The line ``...: recorded <old>, now <new> [kg CO2e / <unit>] (+40.00 % relative)``,
    the figures within float32 storage of the hand values (bw_processing), in plain notation
    (the number policy: no exponent); (7 - 5) / 5 = +40 %."""
    import re

    m = re.search(r"recorded ([0-9.,-]+), now ([0-9.,-]+) \[kg CO2e / " + re.escape(unit) + r"\] \(([0-9.+-]+) % relative",
                  text)
    return bool(m) and float(m[1].replace(",", "")) == pytest.approx(old, rel=1e-6) \
        and float(m[2].replace(",", "")) == pytest.approx(new, rel=1e-6) and m[3] == "+40.00"


def test_a_changed_byte_with_the_same_value_still_differs(computed):
    model, result = computed
    model.write_text(MODEL + "# a comment added after the declaration\n", encoding="utf-8")
    run = recompute(result, model)
    assert run.exit_code == 1, run.output
    assert run.output.startswith("same declared value")
    assert "model sha256: recorded" in flat(run.output) and "1 recorded input differs" in flat(run.output)


def test_a_changed_background_table_is_named(bd, computed):
    model, result = computed
    before = json.loads(result.read_text())["provenance"]["background_sha256"]
    try:
        write_background(bd, steel_co2=2.5)  # 1 + 2 x 2.5 = 6.0 kg CO2e per item (+20 %)
        run = recompute(result, model)
    finally:
        write_background(bd)
    assert run.exit_code == 1, run.output
    text = flat(run.output)
    assert f"background {BACKGROUND} sha256: recorded {before}, now" in text
    assert f"database {BACKGROUND} sha256: recorded {before}" in text
    assert "model sha256" not in text
    assert "+20.00 % relative" in text  # the number policy: a percentage, no exponent


def _edit(result: Path, change) -> Path:
    data = json.loads(result.read_text())
    change(data)
    edited = result.with_name("edited.result.json")
    edited.write_text(json.dumps(data), encoding="utf-8")
    return edited


def test_another_software_version_is_named(computed):
    # the codec checks the figures of a result, not who wrote it: a result of another pcf
    # version is this one with another software_version
    model, result = computed
    edited = _edit(result, lambda d: d.update(software_version="0.0.1"))
    run = recompute(edited, model)
    assert run.exit_code == 1, run.output
    from pcf import __version__

    assert run.output.startswith("same declared value")
    assert f"pcf version: recorded 0.0.1, now {__version__}" in flat(run.output)


def test_changed_method_factors_are_named(computed):
    model, result = computed
    now = json.loads(result.read_text())["provenance"]["method_sha256"]
    edited = _edit(result, lambda d: d["provenance"].update(method_sha256="0" * 64))
    run = recompute(edited, model)
    assert run.exit_code == 1, run.output
    assert f"method ipcc-2021-gwp100 factors sha256: recorded {'0' * 64}, now {now}" in flat(run.output)


def test_a_result_without_a_method_hash_still_reads_and_says_so(computed):
    model, result = computed
    edited = _edit(result, lambda d: d["provenance"].pop("method_sha256"))
    run = recompute(edited, model)
    assert run.exit_code == 0, run.output
    assert "records no hash of the method's characterisation factors" in flat(run.output)


def test_the_recorded_method_is_used_and_a_changed_one_is_a_difference(computed):
    # a result computed with ipcc-2013 is recomputed with ipcc-2013 (the option it records),
    # whatever the model says; the same model then gives the same value
    model, result = computed
    out = result.parent / "ar5"
    run = runner.invoke(cli.app, ["footprint", str(model), "--out", str(out), "--method", "ipcc-2013-gwp100"])
    assert run.exit_code == 0, run.output
    run = recompute(out / "LINEAR.result.json", model)
    assert run.exit_code == 0, run.output


@pytest.mark.parametrize("case", ["missing declaration", "not json", "not a result", "not a label document",
                                  "missing model", "invalid model"])
def test_bad_input_exits_2_without_a_traceback(computed, tmp_path, case):
    model, result = computed
    declaration = result
    if case == "missing declaration":
        declaration = tmp_path / "nothing.result.json"
    elif case == "not json":
        declaration = tmp_path / "broken.json"
        declaration.write_text("{not json", encoding="utf-8")
    elif case == "not a result":
        declaration = tmp_path / "other.json"
        declaration.write_text('{"format": "pcf-scenarios/1"}', encoding="utf-8")
    elif case == "not a label document":
        declaration = tmp_path / "label.declaration.json"
        declaration.write_text('{"format": "pcf-signed-declaration/1"}', encoding="utf-8")
    elif case == "missing model":
        model = tmp_path / "gone.yaml"
    else:
        model.write_text(MODEL.replace("stage: production", "stage: manufacturing"), encoding="utf-8")
    run = recompute(declaration, model)
    assert run.exit_code == 2, run.output
    assert isinstance(run.exception, SystemExit) and "Traceback" not in run.output  # the one handler, no crash
    where = {"missing declaration": f"{declaration}: file not found", "not json": f"{declaration}:1: not valid JSON",
             "not a result": f"{declaration}:1: format 'pcf-scenarios/1' is not one this pcf reads",
             "not a label document": f"{declaration}: not a valid label document",
             "missing model": f"{model}: model file not found", "invalid model": f"{model}:12:"}[case]
    assert where in flat(run.output), run.output
    if case == "missing model":
        assert "(--model)" in flat(run.output)


PV = "examples/pv/mono-si-module-cn.yaml"
BATTERY = "examples/battery/nmc811-pack.yaml"


def test_the_demo_results_recompute_the_same(open_default, tmp_path, monkeypatch):
    """`make demo`'s two footprints (the NMC811 pack with a Monte Carlo, the PV module),
    recomputed from their result files: same declared value, exit 0; the pack's Monte Carlo is
    said not to be recomputed."""
    monkeypatch.chdir(Path(cli.__file__).parent)
    out = tmp_path / "out"
    assert runner.invoke(cli.app, ["footprint", BATTERY, "--out", str(out), "--monte-carlo", "100",
                                   "--seed", "1"]).exit_code == 0
    assert runner.invoke(cli.app, ["footprint", PV, "--out", str(out)]).exit_code == 0
    for result, model in (("SKU-NMC811-PACK", BATTERY), ("SKU-PV-MONO-CN", PV)):
        run = recompute(out / f"{result}.result.json", model)
        assert run.exit_code == 0, run.output
        assert run.output.startswith("same declared value")
    assert "Monte Carlo uncertainty (100 iterations, seed 1) is not recomputed" in \
        flat(recompute(out / "SKU-NMC811-PACK.result.json", BATTERY).output)


@pytest.mark.registry
def test_an_issued_label_document_recomputes(open_default, tmp_path, monkeypatch):
    """The signed label document of the PV module (it conforms to pv-module): same declared
    value; what the document does not record is said; an edited amount differs; a document
    changed after issue is refused (exit 2)."""
    monkeypatch.chdir(Path(cli.__file__).parent)
    monkeypatch.setenv("PCF_REGISTRY", location(tmp_path))
    out, keys, labels = tmp_path / "out", tmp_path / "keys", tmp_path / "labels"
    assert runner.invoke(cli.app, ["footprint", PV, "--out", str(out)]).exit_code == 0
    cli_issuer_key(tmp_path, monkeypatch, keys_dir=keys)   # root key, registry init, encrypted issuer key
    run = runner.invoke(cli.app, ["issue", str(out / "SKU-PV-MONO-CN.result.json"), "--key", str(keys / "cb-test.key"),
                                  "--valid-days", "30", "--out", str(labels),
                                  "--self-declared"])  # about recompute, not verification (issue 15)
    assert run.exit_code == 0, run.output
    document = labels / f"{run.stdout.strip()}.declaration.json"
    run = recompute(document, PV)
    assert run.exit_code == 0, run.output
    text = flat(run.output)
    assert text.startswith("same declared value") and "records no scenario, parameter values" in text
    edited = tmp_path / "pv.yaml"
    edited.write_text(Path(PV).read_text(encoding="utf-8").replace("amount: 13.975, unit: kWh",
                                                                   "amount: 14.975, unit: kWh"), encoding="utf-8")
    run = recompute(document, edited)
    assert run.exit_code == 1 and f"now {sha256(edited)}" in flat(run.output), run.output
    data = json.loads(document.read_text())
    data["declaration"]["valid_until"] = data["declaration"]["valid_until"].replace("20", "21", 1)
    changed = tmp_path / "changed.declaration.json"
    changed.write_text(json.dumps(data), encoding="utf-8")
    run = recompute(changed, PV)
    assert run.exit_code == 2 and "hash or signature does not check" in flat(run.output), run.output


# The same product with its steel mass a parameter, and a scenario that doubles it:
# base 1 + 2 x 2.0 = 5.0 kg CO2e per item; scenario heavy 1 + 4 x 2.0 = 9.0; a batch row with
# steel_kg 3: 1 + 3 x 2.0 = 7.0.
PARAMETRISED = MODEL.replace("\nprocesses:\n", "\nparameters: {steel_kg: 2}\nscenarios:\n"
                             "  heavy: {description: twice the steel, parameters: {steel_kg: 4}}\n"
                             "processes:\n", 1).replace("amount: 2, unit: kg", "amount: steel_kg, unit: kg")


@pytest.fixture
def parametrised(bd, tmp_path):
    write_background(bd)
    model = tmp_path / "parametrised.yaml"
    model.write_text(PARAMETRISED, encoding="utf-8")
    return model


def test_a_scenario_result_is_recomputed_under_its_scenario(parametrised, tmp_path):
    out = tmp_path / "out"
    run = runner.invoke(cli.app, ["footprint", str(parametrised), "--out", str(out), "--scenario", "heavy"])
    assert run.exit_code == 0, run.output
    result = out / "LINEAR.heavy.result.json"
    assert json.loads(result.read_text())["totals"]["declared"] == pytest.approx(9.0, rel=1e-6)
    run = recompute(result, parametrised)
    assert run.exit_code == 0, run.output


def test_a_changed_parameter_is_named(parametrised, tmp_path):
    out = tmp_path / "out"
    assert runner.invoke(cli.app, ["footprint", str(parametrised), "--out", str(out)]).exit_code == 0
    parametrised.write_text(PARAMETRISED.replace("{steel_kg: 2}", "{steel_kg: 3}"), encoding="utf-8")
    run = recompute(out / "LINEAR.result.json", parametrised)
    assert run.exit_code == 1, run.output
    text = flat(run.output)
    assert "parameter steel_kg: recorded 2, now 3" in text
    assert _values_in(text, 5.0, 7.0, "reference flow") and _values_in(text, 0.5, 0.7, "kWh")


def test_a_batch_row_is_recomputed_with_its_parameters(parametrised, tmp_path):
    table = tmp_path / "skus.csv"
    table.write_text("id,steel_kg\nSKU-A,3\n", encoding="utf-8")
    run = runner.invoke(cli.app, ["batch", str(table), "--model", str(parametrised), "--out", str(tmp_path / "b")])
    assert run.exit_code == 0, run.output
    result = tmp_path / "SKU-A.result.json"  # rebuilt from the batch store (pcf batch result)
    run = runner.invoke(cli.app, ["batch", "result", str(tmp_path / "b"), "SKU-A", "--output", str(result)])
    assert run.exit_code == 0, run.output
    assert json.loads(result.read_text())["totals"]["declared"] == pytest.approx(7.0, rel=1e-6)
    run = recompute(result, parametrised)
    assert run.exit_code == 0, run.output


def test_the_pcr_and_electricity_mode_chosen_are_used_again(computed, tmp_path):
    from pcf.declaration import read_declaration
    from pcf.declaration.recompute import recompute_options

    model, _ = computed
    out = tmp_path / "eu"
    run = runner.invoke(cli.app, ["footprint", str(model), "--out", str(out), "--pcr", "eu-battery-cfb-ev",
                                  "--electricity-mode", "jrc_hierarchy"])
    assert run.exit_code == 0, run.output
    result = out / "LINEAR.result.json"
    options = recompute_options(read_declaration(result))
    assert (options.pcr_id, options.electricity_mode, options.method) == ("eu-battery-cfb-ev", "jrc_hierarchy",
                                                                         "ipcc-2021-gwp100")
    run = recompute(result, model)
    assert run.exit_code == 0, run.output


def test_a_changed_supplier_footprint_is_named(bd, tmp_path):
    """A PACT v2 supplier footprint of 2.0 kg CO2e / kg, 2 kg bought: 4.0 kg CO2e per item;
    the supplier sends 2.5 instead: 5.0 (+25 %), the model file unchanged."""
    from tests.test_supplier import FOIL_V2, buyer, write

    foil = write(tmp_path, "foil.json", FOIL_V2)
    model = tmp_path / "buyer.yaml"
    model.write_text(buyer("- {supplier_pcf: foil.json, amount: 2, unit: kg}\n", "FOILR"), encoding="utf-8")
    out = tmp_path / "out"
    assert runner.invoke(cli.app, ["footprint", str(model), "--out", str(out)]).exit_code == 0
    result = out / "FOILR.result.json"
    assert json.loads(result.read_text())["total_kg_co2e"] == pytest.approx(4.0, rel=1e-6)
    before = sha256(foil)
    pcf = {**FOIL_V2["pcf"], "pCfExcludingBiogenic": "2.5", "pCfIncludingBiogenic": "2.5", "fossilGhgEmissions": "2.5"}
    write(tmp_path, "foil.json", {**FOIL_V2, "pcf": pcf})
    run = recompute(result, model)
    assert run.exit_code == 1, run.output
    text = flat(run.output)
    assert f"supplier footprint foil.json sha256: recorded {before}, now {sha256(foil)}" in text
    assert "model sha256" not in text and "+25.00 % relative" in text
