"""The plant-data workbook: `pcf template` and `pcf import-plant` (issue 17 part 1).

The NMC811 example is written into a template workbook cell by cell: every value is taken
from examples/battery/nmc811-pack.yaml itself (its expressions evaluated here by Python's own
arithmetic over the example's parameters), never from pcf output; the imported model must give
the example's footprint. Each refusal is checked for its `F.xlsx:Sheet!Cell:` place, exit 2
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
TABLE_SHEETS = ("Processes", "BOM", "Energy", "Transport", "Waste", "EndOfLife", "Excluded")
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


def _energy_row(inp: dict, pid: str, amount: float) -> dict:
    row = {"Process id": pid, "Energy carrier": inp["background"], "Amount per run": amount, "Unit": inp["unit"],
           "Background key": inp["background"]}
    el = inp.get("electricity")
    if el:
        row.update({"Electricity source": el["source"], "Grid region": el["region"], "Grid year": el["year"]})
    return row


def _input_row(book, proc: dict, inp: dict, params: dict) -> None:
    pid, amount = proc["id"], _arith(inp["amount"], params)
    key = inp.get("background", "")
    if "process" in inp:
        _put(book["BOM"], {"Process id": pid, "Material / component": f"from {inp['process']}",
                           "Mass or amount per run": amount, "Unit": inp["unit"],
                           "Made in process (id)": inp["process"]})
    elif key.startswith("transport_"):
        assert inp["unit"] == "tkm"
        _put(book["Transport"], {"Process id": pid, "Leg name": key, "Or tonne-km": amount, "Background key": key})
    elif inp["unit"] in ("kWh", "MJ"):
        _put(book["Energy"], _energy_row(inp, pid, amount))
    elif proc["stage"] == "end_of_life":
        _put(book["EndOfLife"], {"Process id": pid, "Material or treatment": key, "Amount per run": amount,
                                 "Unit": inp["unit"], "Treatment background key": key})
    else:
        _put(book["BOM"], {"Process id": pid, "Material / component": key, "Mass or amount per run": amount,
                           "Unit": inp["unit"], "Background key": key, "Input id (optional)": inp.get("id")})


def fill_nmc811(path: Path) -> None:
    """Write examples/battery/nmc811-pack.yaml into a fresh battery-pack template at ``path``."""
    template("battery-pack", path)
    example = yaml.safe_load(NMC811.read_text(encoding="utf-8"))
    params = example["parameters"]
    book = openpyxl.load_workbook(path)
    _clear(book)
    product, ws = example["product"], book["Product"]
    declared = product["declared_unit"]
    for field, value in {"Product id": product["id"], "Product name": product["name"],
                         "Reference process id": product["process"],
                         "Reference flow amount": product["reference_flow"]["amount"],
                         "Reference flow unit": product["reference_flow"]["unit"],
                         "Declared unit (optional)": declared["unit"], "Declared unit description": declared["description"],
                         "Declared units per reference flow": _arith(declared["per_reference_flow"], params),
                         "Standard": example["study"]["standard"], "System boundary": example["study"]["boundary"],
                         "PCR (product category rules)": example["study"]["pcr"],
                         "Characterisation method": example["study"]["method"]}.items():
        ws[_product_cell(ws, field)] = value
    for proc in example["processes"]:
        _put(book["Processes"], {"Process id": proc["id"], "Process name": proc["name"], "Life-cycle stage": proc["stage"],
                                 "Location (plant site)": proc.get("location"),
                                 "Output amount per run": proc["output"]["amount"], "Output unit": proc["output"]["unit"],
                                 "Comment / source": proc.get("comment")})
        for inp in proc.get("inputs", []):
            _input_row(book, proc, inp, params)
        for ex in proc.get("excluded", []):
            _put(book["Excluded"], {"Process id": proc["id"], "Input left out": ex["name"],
                                    "Amount per run": _arith(ex["amount"], params), "Unit": ex["unit"],
                                    "Reason": ex["reason"]})
    book.save(path)


@pytest.fixture(scope="module")
def nmc811_book(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plant") / "nmc811.xlsx"
    fill_nmc811(path)
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
