"""``pcf template KIND``: write an empty plant-data workbook (openpyxl).

Sheets (layout in :mod:`.layout`): Instructions (Chinese and English), Product (a form), the
table sheets Parameters, Processes, BOM, Energy, Transport, Emissions, Waste, EndOfLife, Excluded
and Scenarios, and a hidden
Lists sheet holding the drop-down entries: the background keys of the open default with their
unit and name, units, stages, transport modes, data kinds, electricity sources, instruments,
standards, boundaries, methods, PCRs, greenhouse gases and their origins. Every choice column gets a list validation (warning
style: another value may be typed, the importer checks it).
"""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ...core.errors import WorkbookError
from ...core.files import StagedFiles
from . import layout
from .layout import KINDS, LIST_NAMES, PRODUCT_FIELDS, TABLES, Choices
from .presets import PRODUCT, ROWS

MAX_ROWS = 500
"""Rows per table sheet that carry the drop-downs."""

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")

INSTRUCTIONS_ZH = (
    "工厂数据收集表 — 产品碳足迹（ISO 14067 / GB/T 24067）",
    "1. 在 Product 表填写产品编号、名称、基准工序和基准流；需要时填写声明单位及每基准流的声明单位数。",
    "2. 在 Processes 表为本厂及供应商的每道工序填写一行：编号、名称、生命周期阶段、地点、每次运行的产出。",
    "3. 其他各表的每一行都属于一道工序（第一列填工序编号），数量均为该工序每次运行的数量。",
    "4. BOM 表：物料的质量或数量；来源三选一：供应商碳足迹文件（PACT JSON，相对于本工作簿所在文件夹的路径）、"
    "背景数据库键（下拉列表）、或本厂生产它的工序编号。",
    "5. Energy 表：每道工序的电、天然气等用量；电力须注明来源：grid（电网区域与年份）、contractual"
    "（合同工具，如绿证、PPA，及其证明）或 direct（直连发电设施与连接方式）。",
    "6. Transport 表：运输方式、距离与运输质量；或直接填写吨公里并给出背景数据库键。",
    "7. Emissions 表：工序自身的温室气体直接排放（工艺 CO2、制冷剂或 SF6 泄漏等）；燃料燃烧的排放已包含在 Energy 表的背景数据中。",
    "8. Waste 表：生产废弃物及其处理方式；EndOfLife 表：产品报废后的收集、回收、处置；"
    "没有处理方式的背景键时请填写未建模原因。",
    "9. Excluded 表：未计入系统的输入（取舍），须写明原因。",
    "10. 初级数据（本厂实测）请在 Data 列填 primary；默认为 secondary（次级数据）。",
    "11. 数量必须是数字；可以使用 Excel 公式，但保存前须在 Excel 或 LibreOffice 中计算，"
    "导入时读取公式的计算结果，并在模型中注明公式。只由数字、+ - * / 和 Parameters 表数值（如 Parameters!B2）"
    "组成的公式会成为模型中的表达式，Scenarios 表可为参数设定其他数值（情景）。",
    "12. 不需要的建议行请删除整行；留有名称但缺少数量的行会被拒绝导入。",
    "13. 转换：pcf import-plant 本文件.xlsx --out 模型.yaml ；模型中每个数量都注明其单元格（如 BOM!C5）。"
    "查找背景数据库键：pcf db search 关键词；取消隐藏 Lists 表可看到每个键的名称和单位。",
)

INSTRUCTIONS_EN = (
    "Plant-data workbook — product carbon footprint (ISO 14067 / GB/T 24067)",
    "1. Product: the product id and name, the reference process and reference flow; a declared unit and how many "
    "declared units one reference flow delivers, when the results are also wanted per declared unit.",
    "2. Processes: one row per process of the plant and of its suppliers: id, name, life-cycle stage, location, "
    "output per run.",
    "3. Every row of the other sheets belongs to one process (its id in the first column); amounts are per run of "
    "that process.",
    "4. BOM: the mass or amount of each material; exactly one source: a supplier PCF file (PACT JSON, path "
    "relative to this workbook's folder), a background key (drop-down), or the id of the process that makes it.",
    "5. Energy: electricity, natural gas, ... per process; say where electricity comes from: grid (region and "
    "year), contractual (instrument such as a green certificate or PPA, and its evidence) or direct (generator and "
    "connection).",
    "6. Transport: mode, distance and mass carried; or tonne-kilometres with a background key.",
    "7. Emissions: greenhouse gases the process emits itself (process CO2, refrigerant or SF6 leaks, ...); the "
    "emissions of burnt fuels are in the Energy sheet's background keys.",
    "8. Waste: production waste and its treatment; EndOfLife: collection, recycling and disposal of the product; "
    "without a treatment key give the reason it is not modelled.",
    "9. Excluded: inputs cut off from the system, with the reason.",
    "10. Mark site-measured amounts primary in the Data column; unstated means secondary.",
    "11. Amounts are numbers; Excel formulas are fine once Excel or LibreOffice has calculated and saved them: the "
    "importer takes the calculated value and records the formula in the model. A formula of numbers, + - * / and "
    "values of the Parameters sheet (e.g. Parameters!B2) becomes the same expression in the model; the Scenarios "
    "sheet gives parameters other values (scenarios).",
    "12. Delete suggested rows you do not need; a row with a name but no amount is refused.",
    "13. Convert: pcf import-plant THIS.xlsx --out MODEL.yaml; every quantity in the model names its cell "
    "(e.g. BOM!C5). Find background keys with: pcf db search TEXT; unhide the Lists sheet to see each key's name "
    "and unit.",
)


def write_template(kind: str, out: str | Path, choices: Choices) -> Path:
    """Write the plant-data workbook of ``kind`` to ``out`` atomically.

    Parameters
    ----------
    kind : str
        One of :data:`pcf.importers.plant.layout.KINDS`.
    out : str or Path
        The ``.xlsx`` file to write; it must not exist, its folder must.
    choices : Choices
        Background keys (with units and names), methods and PCR ids for the drop-downs.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    WorkbookError
        Unknown kind (about ``kind``), ``out`` exists or its folder does not (about ``out``).
    """
    if kind not in KINDS:
        raise WorkbookError(kind, None, f"not a template; templates: {', '.join(KINDS)}")
    out = Path(out)
    if out.exists():
        raise WorkbookError(out, None, "exists; choose a new file name (pcf does not overwrite a workbook)").about("out")
    if not out.parent.is_dir():
        raise WorkbookError(out, None, f"folder {out.parent} does not exist").about("out")
    book = build_workbook(kind, choices)
    buffer = io.BytesIO()
    book.save(buffer)
    StagedFiles({out: buffer.getvalue()}).stage().commit()
    return out


def build_workbook(kind: str, choices: Choices) -> Workbook:
    """The template workbook of ``kind`` (not saved)."""
    book = Workbook()
    _instructions(book.active, kind)
    lists = _lists(book, choices)
    _product(book.create_sheet(layout.PRODUCT), kind, lists)
    for sheet in TABLES:
        _table(book.create_sheet(sheet.name), sheet, ROWS[kind].get(sheet.name, []), lists)
    book.move_sheet(layout.LISTS, offset=len(book.sheetnames))
    book[layout.LISTS].sheet_state = "hidden"
    return book


def _instructions(ws, kind: str) -> None:
    ws.title = layout.INSTRUCTIONS
    ws.column_dimensions["A"].width = 120
    ws["A1"] = f"pcf template {kind}"
    ws["A1"].font = Font(bold=True, size=14)
    row = 3
    for block in (INSTRUCTIONS_ZH, INSTRUCTIONS_EN):
        for i, text in enumerate(block):
            cell = ws.cell(row=row, column=1, value=text)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if i == 0:
                cell.font = Font(bold=True)
            row += 1
        row += 1
    ws.cell(row=row, column=1, value="Sheets / 工作表:").font = Font(bold=True)
    for sheet in TABLES:
        row += 1
        ws.cell(row=row, column=1, value=f"{sheet.name} ({sheet.zh}): {sheet.purpose}").alignment = Alignment(wrap_text=True)


def _lists(book: Workbook, choices: Choices) -> dict[str, str]:
    """Write the Lists sheet; returns list name -> validation formula."""
    ws = book.create_sheet(layout.LISTS)
    formulas = {}
    for col, name in enumerate(LIST_NAMES, start=1):
        letter = get_column_letter(col)
        ws.cell(row=1, column=col, value=name).font = Font(bold=True)
        if name in ("processes", "parameters"):
            sheet = layout.PROCESSES if name == "processes" else layout.PARAMETERS
            formulas[name] = f"{sheet}!$A$2:$A${MAX_ROWS + 1}"
            continue
        values = choices.values(name)
        for row, value in enumerate(values, start=2):
            ws.cell(row=row, column=col, value=value)
        formulas[name] = f"{layout.LISTS}!${letter}$2:${letter}${max(len(values), 1) + 1}"
    base = len(LIST_NAMES) + 2  # the keys' units and names, beside the lists
    ws.cell(row=1, column=base, value="key").font = Font(bold=True)
    ws.cell(row=1, column=base + 1, value="unit").font = Font(bold=True)
    ws.cell(row=1, column=base + 2, value="name").font = Font(bold=True)
    for row, (key, unit) in enumerate(choices.keys.items(), start=2):
        ws.cell(row=row, column=base, value=key)
        ws.cell(row=row, column=base + 1, value=unit)
        ws.cell(row=row, column=base + 2, value=choices.names.get(key, ""))
    return formulas


def _validation(ws, formula: str, where: str) -> None:
    dv = DataValidation(type="list", formula1=f"={formula}", allow_blank=True, showErrorMessage=True,
                        errorStyle="warning", error="Not in the list; pcf checks the value when importing.",
                        errorTitle="pcf")
    dv.add(where)
    ws.add_data_validation(dv)


def _number_validation(ws, kind: str, where: str) -> None:
    """A number >= 0 (> 0 for ``positive``, a whole number for ``int``), warning style."""
    low = {"number": ("greaterThanOrEqual", "0"), "positive": ("greaterThan", "0"), "int": ("between", "1900"),
           "real": ("between", "-1e300")}
    operator, formula = low[kind]
    dv = DataValidation(type="whole" if kind == "int" else "decimal", operator=operator, formula1=formula,
                        formula2={"int": "2100", "real": "1e300"}.get(kind), allow_blank=True, showErrorMessage=True,
                        errorStyle="warning", errorTitle="pcf",
                        error="A number (>= 0; output amounts > 0; years 1900-2100) / 请填写数字")
    dv.add(where)
    ws.add_data_validation(dv)


def _product(ws, kind: str, lists: dict[str, str]) -> None:
    for col, (title, width) in enumerate((("Field / 字段", 34), ("中文", 22), ("Value / 值", 40),
                                          ("Notes / 说明", 60)), start=1):
        cell = ws.cell(row=1, column=col, value=title)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        ws.column_dimensions[get_column_letter(col)].width = width
    defaults = PRODUCT[kind]
    for row, f in enumerate(PRODUCT_FIELDS, start=2):
        ws.cell(row=row, column=1, value=f.en)
        ws.cell(row=row, column=2, value=f.zh)
        value = ws.cell(row=row, column=3, value=defaults.get(f.key))
        if f.required:
            value.fill = REQUIRED_FILL
        ws.cell(row=row, column=4, value=("required / 必填. " if f.required else "") + f.note)
        if f.choices:
            _validation(ws, lists[f.choices], f"C{row}")
    ws.freeze_panes = "A2"


def _table(ws, sheet: layout.Sheet, rows: list[dict], lists: dict[str, str]) -> None:
    for col, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=1, column=col, value=f"{column.en}\n{column.zh}")
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = column.width
        if column.choices:
            _validation(ws, lists[column.choices], f"{letter}2:{letter}{MAX_ROWS + 1}")
        elif column.kind in ("number", "positive", "real", "int"):
            _number_validation(ws, column.kind, f"{letter}2:{letter}{MAX_ROWS + 1}")
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "B2"
    keys = [c.key for c in sheet.columns]
    for r, values in enumerate(rows, start=2):
        for key, value in values.items():
            ws.cell(row=r, column=keys.index(key) + 1, value=value)
