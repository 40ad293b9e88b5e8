"""The plant-data workbook: `pcf template` and `pcf import-plant` (issue 17 part 1).

The NMC811 example (and the PV example) is written into a template workbook cell by cell: every
value is taken from the example file itself (its expressions evaluated here by Python's own
arithmetic over the example's parameters, or written as the same Excel formulas), never from pcf
output; the imported model must give the example's footprint. Each refusal is checked for its `F.xlsx:Sheet!Cell:` place, exit 2
and no output file.
"""

from __future__ import annotations

import ast
import operator
import re
from pathlib import Path

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

import cli
from pcf.api import compute, import_plant, template
from pcf.core.errors import WorkbookError

REPO = Path(__file__).resolve().parent.parent
NMC811 = REPO / "examples" / "battery" / "nmc811-pack.yaml"
PV = REPO / "examples" / "pv" / "mono-si-module-cn.yaml"
TABLE_SHEETS = ("Processes", "BOM", "Energy", "Transport", "Emissions", "Waste", "EndOfLife", "Excluded")
runner = CliRunner()

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _arith(expr, params: dict) -> float:
    """An example amount: a number, or + - * / ( ) over numbers and parameter names, left to
    right as Python evaluates it."""
    if isinstance(expr, (int, float)):
        return expr

    def ev(node):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return params[node.id]
        if isinstance(node, ast.BinOp):
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        raise AssertionError(f"unexpected expression {expr!r}")

    return ev(ast.parse(str(expr), mode="eval").body)


def _columns(ws) -> dict[str, int]:
    """English header -> column number (row 1: 'English\\nChinese')."""
    return {str(c.value).split("\n")[0]: c.column for c in ws[1] if c.value}


def _clear(book) -> None:
    for name in TABLE_SHEETS:
        ws = book[name]
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.value = None


def _put(ws, values: dict[str, object]) -> int:
    """Write one row after the last filled one; returns its number."""
    cols = _columns(ws)
    r = 2
    while any(ws.cell(row=r, column=c).value is not None for c in cols.values()):
        r += 1
    for header, value in values.items():
        ws.cell(row=r, column=cols[header], value=value)
    return r


def _product_cell(ws, field: str) -> str:
    for row in ws.iter_rows(min_row=2, max_col=1):
        if row[0].value == field:
            return f"C{row[0].row}"
    raise AssertionError(field)


class _Filler:
    """Writes the example's rows; with ``formulas`` an expression amount becomes the same Excel
    formula over defined names of the Parameters sheet, its value (Python's arithmetic) kept to be
    stored beside it."""

    def __init__(self, book, params: dict, formulas: bool):
        self.book, self.params, self.formulas = book, params, formulas
        self.stored: dict[str, dict[str, float]] = {}

    def amount(self, expr):
        if self.formulas and isinstance(expr, str):
            return "=" + expr.replace(" ", "")
        return _arith(expr, self.params)

    def put(self, sheet: str, values: dict[str, object]) -> int:
        ws = self.book[sheet]
        row = _put(ws, {k: self.amount(v) if isinstance(v, _Amount) else v for k, v in values.items()})
        cols = _columns(ws)
        for header, value in values.items():
            if isinstance(value, _Amount) and self.formulas and isinstance(value, str):
                ref = f"{openpyxl.utils.get_column_letter(cols[header])}{row}"
                self.stored.setdefault(sheet, {})[ref] = _arith(str(value), self.params)
        return row


class _Amount(str):
    """An amount of the example (text of its number or expression), marked for :class:`_Filler`."""


def _amt(value) -> object:
    return _Amount(value) if isinstance(value, str) else value


def _input_row(fill: _Filler, proc: dict, inp: dict) -> None:
    pid, amount = proc["id"], inp["amount"]
    amount = _Amount(amount) if isinstance(amount, str) else _arith(amount, fill.params)
    key = inp.get("background", "")
    if "process" in inp:
        fill.put("BOM", {"Process id": pid, "Material / component": f"from {inp['process']}",
                         "Mass or amount per run": amount, "Unit": inp["unit"], "Made in process (id)": inp["process"]})
    elif key.startswith("transport_"):
        assert inp["unit"] == "tkm"
        fill.put("Transport", {"Process id": pid, "Leg name": key, "Or tonne-km": amount, "Background key": key})
    elif inp["unit"] in ("kWh", "MJ"):
        row = {"Process id": pid, "Energy carrier": key, "Amount per run": amount, "Unit": inp["unit"],
               "Background key": key}
        el = inp.get("electricity")
        if el:
            row.update({"Electricity source": el["source"], "Grid region": el["region"], "Grid year": el["year"]})
        fill.put("Energy", row)
    elif proc["stage"] == "end_of_life":
        fill.put("EndOfLife", {"Process id": pid, "Material or treatment": key, "Amount per run": amount,
                               "Unit": inp["unit"], "Treatment background key": key})
    else:
        fill.put("BOM", {"Process id": pid, "Material / component": key, "Mass or amount per run": amount,
                         "Unit": inp["unit"], "Background key": key, "Input id (optional)": inp.get("id")})


def _parameters(fill: _Filler, example: dict) -> None:
    """The example's parameters (with defined names) and its parameter-only scenarios."""
    from openpyxl.workbook.defined_name import DefinedName

    for name, value in example["parameters"].items():
        row = fill.put("Parameters", {"Parameter name": name, "Value": value})
        fill.book.defined_names[name] = DefinedName(name, attr_text=f"Parameters!$B${row}")
    for name, scenario in example.get("scenarios", {}).items():
        if set(scenario) <= {"description", "parameters"}:
            for parameter, value in scenario["parameters"].items():
                fill.put("Scenarios", {"Scenario name": name, "Description": scenario["description"],
                                       "Parameter": parameter, "Value in this scenario": value})


def fill_example(path: Path, formulas: bool = False, source: Path = NMC811, kind: str = "battery-pack") -> None:
    """Write examples/battery/nmc811-pack.yaml (or ``source``) into a fresh template at ``path``:
    its amounts as numbers, or (``formulas``) its expressions as Excel formulas over its
    parameters, with their values stored as a spreadsheet program would."""
    template(kind, path)
    example = yaml.safe_load(source.read_text(encoding="utf-8"))
    book = openpyxl.load_workbook(path)
    _clear(book)
    fill = _Filler(book, example["parameters"], formulas)
    if formulas:
        _parameters(fill, example)
    product, ws = example["product"], book["Product"]
    declared = product["declared_unit"]
    per = declared["per_reference_flow"]
    for field, value in {"Product id": product["id"], "Product name": product["name"],
                         "Reference process id": product["process"],
                         "Reference flow amount": product["reference_flow"]["amount"],
                         "Reference flow unit": product["reference_flow"]["unit"],
                         "Declared unit (optional)": declared["unit"], "Declared unit description": declared["description"],
                         "Declared units per reference flow": fill.amount(per),
                         "Standard": example["study"]["standard"], "System boundary": example["study"]["boundary"],
                         "PCR (product category rules)": example["study"]["pcr"],
                         "Characterisation method": example["study"]["method"]}.items():
        ws[_product_cell(ws, field)] = value
    if formulas:
        fill.stored["Product"] = {_product_cell(ws, "Declared units per reference flow"): _arith(per, fill.params)}
    for proc in example["processes"]:
        fill.put("Processes", {"Process id": proc["id"], "Process name": proc["name"], "Life-cycle stage": proc["stage"],
                               "Location (plant site)": proc.get("location"),
                               "Output amount per run": proc["output"]["amount"], "Output unit": proc["output"]["unit"],
                               "Data (primary/secondary)": proc.get("data"), "Comment / source": proc.get("comment")})
        for inp in proc.get("inputs", []):
            _input_row(fill, proc, inp)
        for flow in ("emissions", "removals"):
            for em in proc.get(flow, []):
                fill.put("Emissions", {"Process id": proc["id"], "Substance": em["substance"],
                                       "Origin (fossil/biogenic/land_use)": em.get("origin"),
                                       "Emission or removal": flow[:-1], "Amount per run": _amt(em["amount"]),
                                       "Unit": em.get("unit", "kg")})
        for leg in proc.get("transport", []):
            fill.put("Transport", {"Process id": proc["id"], "Leg name": leg.get("name"), "Mode": leg["mode"],
                                   "Distance": _amt(leg["distance"]), "Distance unit": leg.get("distance_unit"),
                                   "Mass carried": _amt(leg["mass"]), "Mass unit": leg.get("mass_unit"),
                                   "Background key": (leg.get("activity") or {}).get("background")})
        for ex in proc.get("excluded", []):
            fill.put("Excluded", {"Process id": proc["id"], "Input left out": ex["name"],
                                  "Amount per run": _amt(ex["amount"]), "Unit": ex["unit"], "Reason": ex["reason"],
                                  "Proxy background key (estimate)": (ex.get("proxy") or {}).get("background")})
    book.save(path)
    if fill.stored:
        store_values(path, fill.stored)


@pytest.fixture(scope="module")
def nmc811_book(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plant") / "nmc811.xlsx"
    fill_example(path)
    return path


def test_nmc811_workbook_gives_the_example_footprint(open_default, nmc811_book, tmp_path):
    out = tmp_path / "nmc811-from-workbook.yaml"
    done = import_plant(nmc811_book, out)
    assert done.processes == 19
    imported, example = compute(out).to_json(), compute(NMC811).to_json()
    assert imported["total_kg_co2e"] == pytest.approx(example["total_kg_co2e"], rel=1e-9)
    assert imported["per_declared_unit_kg_co2e"] == pytest.approx(example["per_declared_unit_kg_co2e"], rel=1e-9)
    assert imported["product"]["declared_unit"] == example["product"]["declared_unit"]
    assert set(imported["stages"]) == set(example["stages"])
    for stage, value in example["stages"].items():
        assert imported["stages"][stage] == pytest.approx(value, rel=1e-9, abs=1e-12)


def test_nmc811_workbook_with_formulas_keeps_parameters_and_scenarios(open_default, tmp_path):
    """The example's expressions as Excel formulas over its parameters: the model keeps them as
    expressions, so its parameter scenario service_life_10y gives the example's figure too."""
    path = tmp_path / "nmc811-formulas.xlsx"
    fill_example(path, formulas=True)
    out = tmp_path / "nmc811-formulas.yaml"
    import_plant(path, out)
    text = out.read_text(encoding="utf-8")
    assert 'amount: "capacity_kwh * pack_mass_per_kwh * cell_mass_share"  # BOM!C' in text
    assert 'per_reference_flow: "capacity_kwh * cycles_per_year * service_life_years"  # Product!C9 ' in text
    model = yaml.safe_load(text)
    assert list(model["scenarios"]) == ["service_life_10y"]
    for scenario in (None, "service_life_10y"):
        imported, example = compute(out, scenario=scenario).to_json(), compute(NMC811, scenario=scenario).to_json()
        assert imported["total_kg_co2e"] == pytest.approx(example["total_kg_co2e"], rel=1e-9)
        assert imported["per_declared_unit_kg_co2e"] == pytest.approx(example["per_declared_unit_kg_co2e"], rel=1e-9)
        for stage, value in example["stages"].items():
            assert imported["stages"][stage] == pytest.approx(value, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", ["lfp-pack", "nmc622-pack"])
def test_other_battery_examples_give_their_footprint(open_default, tmp_path, name):
    """The LFP and NMC622 packs (transport legs, excluded inputs with proxies) as well."""
    source = REPO / "examples" / "battery" / f"{name}.yaml"
    path = tmp_path / f"{name}.xlsx"
    fill_example(path, formulas=True, source=source)
    out = tmp_path / f"{name}.yaml"
    import_plant(path, out)
    imported, example = compute(out).to_json(), compute(source).to_json()
    assert imported["total_kg_co2e"] == pytest.approx(example["total_kg_co2e"], rel=1e-9)
    assert imported["per_declared_unit_kg_co2e"] == pytest.approx(example["per_declared_unit_kg_co2e"], rel=1e-9)
    for stage, value in example["stages"].items():
        assert imported["stages"][stage] == pytest.approx(value, rel=1e-9, abs=1e-12)


def test_pv_workbook_gives_the_example_footprint(open_default, tmp_path):
    """The PV example (direct emissions, a biogenic CO2 removal, a parameter in an amount) written
    into the pv-module template gives its footprint too."""
    path = tmp_path / "pv.xlsx"
    fill_example(path, formulas=True, source=PV, kind="pv-module")
    out = tmp_path / "pv.yaml"
    import_plant(path, out)
    model = yaml.safe_load(out.read_text(encoding="utf-8"))
    mgsi = next(p for p in model["processes"] if p["id"] == "mgsi")
    assert mgsi["removals"] == [{"substance": "carbon dioxide", "origin": "biogenic", "amount": 1.6098, "unit": "kg"}]
    imported, example = compute(out).to_json(), compute(PV).to_json()
    assert imported["total_kg_co2e"] == pytest.approx(example["total_kg_co2e"], rel=1e-9)
    assert imported["per_declared_unit_kg_co2e"] == pytest.approx(example["per_declared_unit_kg_co2e"], rel=1e-9)
    assert imported["ghg"] == pytest.approx(example["ghg"], rel=1e-9, abs=1e-12)
    for stage, value in example["stages"].items():
        assert imported["stages"][stage] == pytest.approx(value, rel=1e-9, abs=1e-12)


def test_every_quantity_names_its_cell(nmc811_book, tmp_path):
    out = tmp_path / "m.yaml"
    import_plant(nmc811_book, out)
    text = out.read_text(encoding="utf-8")
    quantity = re.compile(r"^\s*(- )?(amount|per_reference_flow|tkm|distance|mass): ")
    lines = [ln for ln in text.splitlines() if quantity.match(ln)]
    assert len(lines) > 150
    assert all(re.search(r"  # (BOM|Energy|Transport|EndOfLife|Excluded|Processes|Product)![A-Z]+[0-9]+", ln)
               for ln in lines), [ln for ln in lines if "#" not in ln][:3]
    book = openpyxl.load_workbook(nmc811_book)
    first = next(ln for ln in text.splitlines() if "amount:" in ln and "# BOM!" in ln)
    value, cell = re.match(r"\s*(?:- )?amount: (\S+)  # BOM!(\S+)", first).groups()
    assert float(value) == book["BOM"][cell].value


# --------------------------------------------------------------------------- refusals


def _small(path: Path) -> dict[str, int]:
    """A small filled workbook: one cell process with a background material, a foreground
    part, grid electricity and a transport leg. Returns sheet -> the row written there."""
    template("battery-cell", path)
    book = openpyxl.load_workbook(path)
    _clear(book)
    ws = book["Product"]
    ws[_product_cell(ws, "Product id")] = "CELL-1"
    ws[_product_cell(ws, "Product name")] = "test cell"
    ws[_product_cell(ws, "Declared units per reference flow")] = 0.25
    rows = {}
    _put(book["Processes"], {"Process id": "cell_production", "Process name": "cell", "Life-cycle stage": "production",
                             "Output amount per run": 1, "Output unit": "kg"})
    _put(book["Processes"], {"Process id": "tabs", "Process name": "tabs", "Life-cycle stage": "raw_material_acquisition",
                             "Output amount per run": 1, "Output unit": "kg"})
    rows["BOM"] = _put(book["BOM"], {"Process id": "cell_production", "Material / component": "copper foil",
                                     "Mass or amount per run": 0.12, "Unit": "kg", "Background key": "copper_greet"})
    rows["BOM part"] = _put(book["BOM"], {"Process id": "cell_production", "Material / component": "tabs",
                                          "Mass or amount per run": 0.01, "Unit": "kg", "Made in process (id)": "tabs"})
    _put(book["BOM"], {"Process id": "tabs", "Material / component": "aluminium", "Mass or amount per run": 1,
                       "Unit": "kg", "Background key": "aluminium_greet"})
    rows["Energy"] = _put(book["Energy"], {"Process id": "cell_production", "Energy carrier": "electricity",
                                           "Amount per run": 10, "Unit": "kWh",
                                           "Background key": "electricity_cn_east_2023", "Electricity source": "grid",
                                           "Grid region": "CN-east", "Grid year": 2023})
    rows["Transport"] = _put(book["Transport"], {"Process id": "cell_production", "Leg name": "foil", "Mode": "lorry",
                                                 "Distance": 500, "Distance unit": "km", "Mass carried": 0.12,
                                                 "Mass unit": "kg"})
    book.save(path)
    return rows


@pytest.fixture
def small(tmp_path) -> tuple[Path, dict[str, int]]:
    path = tmp_path / "small.xlsx"
    return path, _small(path)


def _edit(path: Path, sheet: str, cell: str, value) -> None:
    book = openpyxl.load_workbook(path)
    book[sheet][cell] = value
    book.save(path)


def _refused(path: Path, place: str, words: str, tmp_path: Path) -> None:
    """`pcf import-plant` exits 2 with `path:place: ...words...` and writes nothing."""
    out = tmp_path / "model.yaml"
    result = runner.invoke(cli.app, ["import-plant", str(path), "--out", str(out)])
    message = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert f"error: {path}:{place}: " in message, message
    assert words in message, message
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".model.yaml")]


def test_small_workbook_imports(small, tmp_path):
    path, rows = small
    out = tmp_path / "cell.yaml"
    result = runner.invoke(cli.app, ["import-plant", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    model = yaml.safe_load(out.read_text(encoding="utf-8"))
    cell = model["processes"][0]
    assert cell["inputs"][0] == {"background": "copper_greet", "amount": 0.12, "unit": "kg", "comment": "copper foil"}
    assert cell["inputs"][2]["electricity"] == {"source": "grid", "region": "CN-east", "year": 2023}
    assert cell["transport"] == [{"name": "foil", "mode": "lorry", "distance": 500, "distance_unit": "km",
                                  "mass": 0.12, "mass_unit": "kg"}]
    assert model["product"]["declared_unit"]["per_reference_flow"] == 0.25
    assert f"amount: 0.12  # BOM!C{rows['BOM']}" in out.read_text(encoding="utf-8")


# One cell edited, the import refused at a cell: (sheet, edited cell's column, row, new value,
# column of the cell the error names, words of the error).
ONE_CELL_REFUSALS = {
    "wrong unit for the background key": ("BOM", "D", "BOM", "kWh", "D",
                                          "does not fit background key 'copper_greet', which is per kg"),
    "unknown unit": ("BOM", "D", "BOM", "kgs", "D", "unknown unit 'kgs'"),
    # the loader finds it (a kWh input of a process that makes kg); the error names the cell
    "foreground unit mismatch": ("BOM", "D", "BOM part", "kWh", "D", "cannot convert 'kWh' to 'kg'"),
    "non-numeric mass": ("BOM", "C", "BOM", "abc", "C", "is not a number: 'abc'"),
    "decimal comma": ("BOM", "C", "BOM", "0,12", "C", "write a decimal point, not a comma"),
    "negative mass": ("BOM", "C", "BOM", -0.12, "C", "must be >= 0, got -0.12"),
    "BOM row with two sources": ("BOM", "H", "BOM", "tabs", "F", "give exactly one source of the material"),
    "row of an unknown process": ("Energy", "A", "Energy", "anode", "A", "no process 'anode' on the Processes sheet"),
    "contract without instrument": ("Energy", "F", "Energy", "contractual", "F",
                                    "region, year do not go with source 'contractual'"),
    "transport leg without distance": ("Transport", "D", "Transport", None, "D",
                                       "a transport leg needs mode, distance and mass"),
}


@pytest.mark.parametrize("case", ONE_CELL_REFUSALS)
def test_one_cell_refused(small, tmp_path, case):
    sheet, column, row, value, at, words = ONE_CELL_REFUSALS[case]
    path, rows = small
    _edit(path, sheet, f"{column}{rows[row]}", value)
    _refused(path, f"{sheet}!{at}{rows[row]}", words, tmp_path)


def test_unknown_background_key(small, tmp_path):
    path, rows = small
    _edit(path, "BOM", f"G{rows['BOM']}", "copper_gret")
    _refused(path, f"BOM!G{rows['BOM']}", "unknown background key 'copper_gret'", tmp_path)
    _refused(path, f"BOM!G{rows['BOM']}", "did you mean copper_greet", tmp_path)


def test_missing_required_sheet(small, tmp_path):
    path, _ = small
    book = openpyxl.load_workbook(path)
    del book["Energy"]
    book.save(path)
    _refused(path, "Energy", "the workbook has no sheet 'Energy'", tmp_path)


def test_missing_required_cell(small, tmp_path):
    path, rows = small
    _edit(path, "Product", "C2", None)
    _refused(path, "Product!C2", "Product id (产品编号) is missing", tmp_path)
    _edit(path, "Product", "C2", "CELL-1")
    _edit(path, "Energy", f"E{rows['Energy']}", None)
    _refused(path, f"Energy!E{rows['Energy']}", "Background key (背景数据库键) is missing", tmp_path)


def test_moved_column(small, tmp_path):
    path, _ = small
    book = openpyxl.load_workbook(path)
    book["BOM"].insert_cols(3)
    book.save(path)
    _refused(path, "BOM!C1", "expected the column 'Mass or amount per run' here", tmp_path)


def test_formula_without_cached_value(small, tmp_path):
    """openpyxl stores a formula without its result, as a file never opened in Excel is."""
    path, rows = small
    _edit(path, "BOM", f"C{rows['BOM']}", "=0.1+0.02")
    _refused(path, f"BOM!C{rows['BOM']}", "formula =0.1+0.02 has no calculated value stored", tmp_path)


def test_formula_with_cached_value_is_taken_and_named(small, tmp_path):
    """A workbook saved by a spreadsheet program stores the formula and its result: arithmetic of
    numbers stays arithmetic in the model (checked against the stored 0.12), the formula in the comment."""
    path, rows = small
    _edit(path, "BOM", f"C{rows['BOM']}", "=0.1+0.02")
    store_values(path, {"BOM": {f"C{rows['BOM']}": 0.12}})
    out = tmp_path / "m.yaml"
    import_plant(path, out)
    assert f'amount: "0.1 + 0.02"  # BOM!C{rows["BOM"]} =0.1+0.02' in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("name, content", [("old.xls", b"\xd0\xcf\x11\xe0 an old binary workbook"),
                                           ("text.xlsx", b"a,b\n1,2\n")])
def test_not_a_workbook(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    out = tmp_path / "model.yaml"
    result = runner.invoke(cli.app, ["import-plant", str(path), "--out", str(out)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert f"{path}: not a readable .xlsx workbook" in " ".join(result.output.split())
    assert not out.exists()


def test_existing_out_is_refused(small, tmp_path):
    path, _ = small
    out = tmp_path / "model.yaml"
    out.write_text("mine\n", encoding="utf-8")
    result = runner.invoke(cli.app, ["import-plant", str(path), "--out", str(out)])
    assert result.exit_code == 2 and f"{out}: exists" in " ".join(result.output.split()), result.output
    assert "(--out)" in result.output
    assert out.read_text(encoding="utf-8") == "mine\n"
    before = path.read_bytes()
    result = runner.invoke(cli.app, ["template", "pv-module", "--out", str(path)])
    assert result.exit_code == 2 and f"{path}: exists" in " ".join(result.output.split()), result.output
    assert path.read_bytes() == before


# --------------------------------------------------------------------------- templates


@pytest.mark.parametrize("kind", ["battery-pack", "battery-cell", "pv-module"])
def test_template_round_trip(kind, tmp_path):
    import csv

    path = tmp_path / f"{kind}.xlsx"
    result = runner.invoke(cli.app, ["template", kind, "--out", str(path)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:2] == ["Instructions", "Product"] and set(TABLE_SHEETS) <= set(book.sheetnames)
    assert book["Lists"].sheet_state == "hidden"
    instructions = " ".join(str(c.value) for c in book["Instructions"]["A"] if c.value)
    assert re.search(r"[\u4e00-\u9fff]{4}", instructions) and "Plant-data workbook" in instructions
    with open(REPO / "databases" / "open-default.csv", encoding="utf-8") as fh:
        keys = [r["key"] for r in csv.DictReader(fh)]
    lists = book["Lists"]
    assert [c.value for c in lists["A"][1:] if c.value] == keys
    formulas = {ws: {str(dv.sqref).split(":")[0][:1]: dv.formula1 for dv in book[ws].data_validations.dataValidation}
                for ws in TABLE_SHEETS + ("Product",)}
    assert formulas["BOM"]["G"] == f"=Lists!$A$2:$A${len(keys) + 1}"      # background keys
    assert formulas["BOM"]["D"].startswith("=Lists!$B$2")                  # units
    assert formulas["Energy"]["E"] == formulas["BOM"]["G"]
    assert formulas["Processes"]["C"].startswith("=Lists!$C$2")            # stages
    assert formulas["Transport"]["C"].startswith("=Lists!$D$2")            # modes
    assert formulas["BOM"]["A"] == "=Processes!$A$2:$A$501"
    assert formulas["Emissions"]["B"].startswith("=Lists!$M$2")            # greenhouse gases
    assert [c.value for c in lists["B"][1:] if c.value][:4] == ["kg", "g", "t", "item"]
    kinds = {ws: {str(dv.sqref)[:1]: dv.type for dv in book[ws].data_validations.dataValidation} for ws in TABLE_SHEETS}
    assert kinds["BOM"]["C"] == "decimal" and kinds["Energy"]["H"] == "whole" and kinds["BOM"]["D"] == "list"
    # an untouched template is refused at its first empty required cell, not with a traceback
    _refused(path, "Product!C2", "Product id (产品编号) is missing", tmp_path)


@pytest.mark.parametrize("kind", ["battery-pack", "battery-cell", "pv-module"])
def test_template_suggestions_import_once_filled(kind, tmp_path):
    """Every suggested row of a template is valid once its amounts are filled in: its keys are in
    the open default and its units fit them."""
    path = tmp_path / f"{kind}.xlsx"
    template(kind, path)
    book = openpyxl.load_workbook(path)
    ws = book["Product"]
    ws[_product_cell(ws, "Product id")] = "P-1"
    ws[_product_cell(ws, "Product name")] = kind
    ws[_product_cell(ws, "Declared units per reference flow")] = 2
    fill = {"Mass or amount per run": 1, "Amount per run": 1, "Distance": 100, "Mass carried": 10,
            "Reason if not modelled": "no treatment data yet"}
    for name in ("BOM", "Energy", "Transport", "Waste", "EndOfLife"):
        sheet = book[name]
        cols = _columns(sheet)
        for r in range(2, sheet.max_row + 1):
            if sheet.cell(row=r, column=1).value is None:
                continue
            for header, value in fill.items():
                if header in cols and sheet.cell(row=r, column=cols[header]).value is None:
                    sheet.cell(row=r, column=cols[header], value=value)
            if name == "BOM" and not any(sheet.cell(row=r, column=cols[h]).value for h in
                                         ("Background key", "Made in process (id)", "Supplier PCF file (PACT JSON)")):
                sheet.cell(row=r, column=cols["Background key"], value="copper_greet")
    book.save(path)
    out = tmp_path / "m.yaml"
    done = import_plant(path, out)
    assert done.processes == len([r for r in book["Processes"]["A"][1:] if r.value])


def test_supplier_pcf_file_is_found_beside_the_workbook(tmp_path):
    """The BOM names the supplier's PACT file relative to the workbook; the model, written in
    another folder, names it relative to itself and loads it."""
    import json

    from pcf.model import load_model
    from tests.test_supplier import CAM_V3

    folder, elsewhere = tmp_path / "plant", tmp_path / "models"
    (folder / "suppliers").mkdir(parents=True)
    elsewhere.mkdir()
    (folder / "suppliers" / "cam.json").write_text(json.dumps(CAM_V3), encoding="utf-8")
    path = folder / "small.xlsx"
    rows = _small(path)
    book = openpyxl.load_workbook(path)
    ws = book["BOM"]
    ws[f"G{rows['BOM']}"] = None
    ws[f"E{rows['BOM']}"] = "CAM Supplier Co"
    ws[f"F{rows['BOM']}"] = "suppliers/cam.json"
    book.save(path)
    out = elsewhere / "m.yaml"
    import_plant(path, out)
    model = yaml.safe_load(out.read_text(encoding="utf-8"))
    first = model["processes"][0]["inputs"][0]
    assert first["supplier_pcf"] == "../plant/suppliers/cam.json"
    assert first["comment"] == "copper foil; supplier: CAM Supplier Co"
    supplied = next(i for i in load_model(out).processes["cell_production"].inputs if i.kind == "supplier")
    assert supplied.amount == 0.12
    (folder / "suppliers" / "cam.json").unlink()
    _refused(path, f"BOM!F{rows['BOM']}", "no supplier PCF file", tmp_path)


def test_direct_emission_adds_its_gwp(open_default, small, tmp_path):
    """1 g of SF6 leaked per kg of cell adds 0.001 kg x 25,200 (IPCC AR6 WG1 Table 7.SM.7, GWP100)
    = 25.2 kg CO2e to the footprint of the same workbook without it."""
    path, _ = small
    without = tmp_path / "without.yaml"
    import_plant(path, without)
    book = openpyxl.load_workbook(path)
    row = _put(book["Emissions"], {"Process id": "cell_production", "Substance": "sulfur hexafluoride",
                                   "Origin (fossil/biogenic/land_use)": "fossil", "Amount per run": 1, "Unit": "g",
                                   "Comment / source": "switchgear leak, maintenance log"})
    book.save(path)
    with_sf6 = tmp_path / "with.yaml"
    import_plant(path, with_sf6)
    assert yaml.safe_load(with_sf6.read_text(encoding="utf-8"))["processes"][0]["emissions"] == [
        {"substance": "sulfur hexafluoride", "origin": "fossil", "amount": 1, "unit": "g",
         "comment": "switchgear leak, maintenance log"}]
    assert f"amount: 1  # Emissions!E{row}" in with_sf6.read_text(encoding="utf-8")
    delta = compute(with_sf6).to_json()["total_kg_co2e"] - compute(without).to_json()["total_kg_co2e"]
    assert delta == pytest.approx(0.001 * 25200, rel=1e-6)


# --------------------------------------------------------------------------- parameters, formulas, scenarios


def store_values(path: Path, values: dict[str, dict[str, float]]) -> None:
    """Store a calculated value beside each given formula cell, as a spreadsheet program saves it
    (the cell's <f> and <v>, ECMA-376 Part 1, 18.3.1.4); openpyxl writes formulas without them."""
    import shutil
    import zipfile

    order = openpyxl.load_workbook(path).sheetnames
    tmp = path.with_suffix(".tmp.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", item.filename)
            if m and order[int(m.group(1)) - 1] in values:
                for ref, value in values[order[int(m.group(1)) - 1]].items():
                    pattern = rb'(<c r="' + ref.encode() + rb'"[^>]*>)(<f>[^<]*</f>)(?:<v\s*/>|<v></v>)?'
                    data, n = re.subn(pattern, lambda g: g.group(1) + g.group(2) + b"<v>" + repr(value).encode()
                                      + b"</v>", data)
                    assert n == 1, ref
            dst.writestr(item, data)
    shutil.move(tmp, path)


def test_formulas_over_parameters_become_expressions(small, tmp_path):
    """Parameters capacity = 2 and share = 0.25 [hand-chosen]; BOM copper =Parameters!B2*Parameters!B3
    (0.5), by a defined name =cap*0.1 (0.2), with a function =SUM(0.1,0.02) (taken as its value 0.12);
    scenario 'big' sets capacity = 4, so the copper becomes 4 x 0.25 = 1 and the second 0.4."""
    from openpyxl.workbook.defined_name import DefinedName

    from pcf.model import load_model

    path, rows = small
    book = openpyxl.load_workbook(path)
    params = book["Parameters"]
    params.append(["capacity", 2, "kWh", "datasheet"])
    params.append(["share", 0.25])
    book.defined_names["cap"] = DefinedName("cap", attr_text="Parameters!$B$2")
    bom = book["BOM"]
    r = rows["BOM"]
    bom[f"C{r}"] = "=Parameters!$B$2*Parameters!B3"
    second = _put(bom, {"Process id": "cell_production", "Material / component": "tab copper",
                        "Mass or amount per run": "=cap*0.1", "Unit": "kg", "Background key": "copper_greet"})
    third = _put(bom, {"Process id": "cell_production", "Material / component": "more copper",
                       "Mass or amount per run": "=SUM(0.1,0.02)", "Unit": "kg", "Background key": "copper_greet"})
    book["Scenarios"].append(["big", "a larger cell", "capacity", 4])
    book.save(path)
    store_values(path, {"BOM": {f"C{r}": 0.5, f"C{second}": 0.2, f"C{third}": 0.12}})
    out = tmp_path / "m.yaml"
    import_plant(path, out)
    text = out.read_text(encoding="utf-8")
    assert f'amount: "capacity * share"  # BOM!C{r} =Parameters!$B$2*Parameters!B3' in text
    assert f'amount: "capacity * 0.1"  # BOM!C{second} =cap*0.1' in text
    assert f"amount: 0.12  # BOM!C{third} =SUM(0.1,0.02)" in text
    model = yaml.safe_load(text)
    assert model["parameters"] == {"capacity": 2, "share": 0.25}
    assert model["scenarios"] == {"big": {"description": "a larger cell", "parameters": {"capacity": 4}}}
    amounts = lambda system: [i.amount for i in system.processes["cell_production"].inputs
                              if i.target == "copper_greet"]
    assert amounts(load_model(out)) == pytest.approx([0.5, 0.2, 0.12], rel=1e-12)
    assert amounts(load_model(out, scenario="big")) == pytest.approx([1.0, 0.4, 0.12], rel=1e-12)


def test_stale_formula_value_is_refused(small, tmp_path):
    """A stored value the Parameters sheet does not give (the workbook was not recalculated)."""
    path, rows = small
    book = openpyxl.load_workbook(path)
    book["Parameters"].append(["capacity", 2])
    book["BOM"][f"C{rows['BOM']}"] = "=Parameters!B2*0.1"
    book.save(path)
    store_values(path, {"BOM": {f"C{rows['BOM']}": 0.3}})
    _refused(path, f"BOM!C{rows['BOM']}", "gives 0.3 in the workbook but 0.2", tmp_path)


def test_scenario_of_an_unknown_parameter(small, tmp_path):
    path, _ = small
    book = openpyxl.load_workbook(path)
    book["Parameters"].append(["capacity", 2])
    book["Scenarios"].append(["big", "", "capacty", 4])
    book.save(path)
    _refused(path, "Scenarios!C2", "no parameter 'capacty' on the Parameters sheet", tmp_path)


def test_unknown_template_and_missing_folder(tmp_path):
    result = runner.invoke(cli.app, ["template", "wind-turbine", "--out", str(tmp_path / "w.xlsx")])
    message = " ".join(result.output.split())
    assert result.exit_code == 2 and "wind-turbine: not a template; templates: battery-pack, battery-cell, pv-module" \
        in message, result.output
    out = tmp_path / "no" / "w.xlsx"
    result = runner.invoke(cli.app, ["template", "pv-module", "--out", str(out)])
    assert result.exit_code == 2 and "does not exist (--out)" in " ".join(result.output.split()), result.output
    assert not (tmp_path / "w.xlsx").exists() and not out.parent.exists()


def test_process_id_twice(small, tmp_path):
    path, _ = small
    _edit(path, "Processes", "A3", "cell_production")
    _refused(path, "Processes!A3", "process id 'cell_production' is on the Processes sheet twice", tmp_path)
