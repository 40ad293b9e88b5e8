"""The layout of the plant-data workbook: its sheets, their columns and the Product fields.

One definition, read by the template writer (:mod:`.template`) and the importer
(:mod:`.reader`). Sheet names are ASCII so that error places read ``F.xlsx:BOM!C12``; each
header cell holds the English name, a line break and the Chinese name. Data rows start at
row 2 of every table sheet; the Product sheet is a form (field in column A, value in C).
Field reference: ``docs/model-format.md``, "From a plant-data workbook".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...core.vocabulary import STAGES

#: Template kinds of ``pcf template``.
KINDS = ("battery-pack", "battery-cell", "pv-module")

INSTRUCTIONS = "Instructions"
PRODUCT = "Product"
PARAMETERS = "Parameters"
SCENARIOS = "Scenarios"
PROCESSES = "Processes"
BOM = "BOM"
ENERGY = "Energy"
TRANSPORT = "Transport"
EMISSIONS = "Emissions"
WASTE = "Waste"
END_OF_LIFE = "EndOfLife"
EXCLUDED = "Excluded"
LISTS = "Lists"

#: Drop-down lists of the hidden Lists sheet (name -> column letter there). ``keys`` and
#: ``key_units`` are the background keys and their units; the rest are fixed vocabularies.
UNITS = ("kg", "g", "t", "item", "kWh", "MWh", "MJ", "GJ", "tkm", "km", "m2", "m3", "L", "Wp", "kWp")
DATA_KINDS = ("primary", "secondary")
SOURCES = ("grid", "contractual", "direct")
INSTRUMENTS = ("ppa", "green_certificate", "guarantee_of_origin", "rec", "i_rec", "green_electricity_trade",
               "green_tariff")
STANDARDS = ("ISO 14067:2018", "GB/T 24067-2024")
#: Greenhouse gases a plant emits itself (biosphere3 names without origin, docs/model-format.md
#: ``emissions[]``); another biosphere3 name may be typed.
SUBSTANCES = ("carbon dioxide", "methane", "dinitrogen monoxide", "sulfur hexafluoride", "nitrogen fluoride",
              "hexafluoroethane", "tetrafluoromethane")
ORIGINS = ("fossil", "biogenic", "land_use")
FLOWS = ("emission", "removal")
BOUNDARIES = ("cradle-to-gate", "cradle-to-grave")


@dataclass(frozen=True)
class Column:
    """One column of a table sheet.

    ``key`` is the importer's name for it, ``en`` / ``zh`` the header, ``kind`` how a cell is
    read (``text``, ``id``, ``name`` (a parameter name), ``number`` (>= 0), ``positive`` (> 0),
    ``real`` (any number), ``int``, ``unit``, ``key`` (a background key), ``choice`` (one of
    ``choices``)), ``required`` whether a filled row
    must have it, ``choices`` the name of a drop-down list (:data:`LIST_NAMES`).
    """

    key: str
    en: str
    zh: str
    kind: str = "text"
    required: bool = False
    choices: str | None = None
    width: int = 16


@dataclass(frozen=True)
class Sheet:
    """A table sheet: its name, Chinese title and columns (A, B, ... in order)."""

    name: str
    zh: str
    columns: tuple[Column, ...]
    purpose: str = ""

    def letter(self, key: str) -> str:
        """Column letter of ``key`` (A, B, ...)."""
        return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[[c.key for c in self.columns].index(key)]


def _process(zh: str = "工序") -> Column:
    return Column("process", "Process id", zh + "编号", "id", True, "processes", 18)


def _amount(en: str = "Amount", zh: str = "数量") -> Column:
    return Column("amount", en, zh, "number", True, None, 12)


def _unit() -> Column:
    return Column("unit", "Unit", "单位", "unit", True, "units", 9)


_ID = Column("input_id", "Input id (optional)", "输入编号(可选)", "id", width=14)
_COMMENT = Column("comment", "Comment / source", "备注/数据来源", width=36)
_DATA = Column("data", "Data (primary/secondary)", "数据类型(初级/次级)", "choice", choices="data", width=12)

PARAMETERS_SHEET = Sheet(PARAMETERS, "参数", (
    Column("name", "Parameter name", "参数名", "name", True, width=22),
    Column("value", "Value", "数值", "real", True, width=12),
    Column("unit", "Unit (for reading)", "单位(说明用)", width=12),
    Column("source", "Source", "数据来源", width=40),
), "named numbers (capacity, service life, ...); an amount cell whose formula is arithmetic over these values "
   "(=Parameters!B2*0.71, or a defined name) becomes the same expression in the model, so scenarios recalculate it")

SCENARIOS_SHEET = Sheet(SCENARIOS, "情景", (
    Column("scenario", "Scenario name", "情景名称", "id", True, width=22),
    Column("description", "Description", "说明", width=40),
    Column("parameter", "Parameter", "参数", "text", True, "parameters", 22),
    Column("value", "Value in this scenario", "该情景下的数值", "real", True, width=14),
), "named variants that set parameters to other values, one row per parameter (pcf footprint --scenario NAME)")

PROCESS_SHEET = Sheet(PROCESSES, "工序", (
    Column("id", "Process id", "工序编号", "id", True, width=20),
    Column("name", "Process name", "工序名称", "text", True, width=36),
    Column("stage", "Life-cycle stage", "生命周期阶段", "choice", True, "stages", 22),
    Column("location", "Location (plant site)", "地点(工厂所在地)", width=14),
    Column("output_amount", "Output amount per run", "每次运行产出数量", "positive", True, width=12),
    Column("output_unit", "Output unit", "产出单位", "unit", True, "units", 9),
    _DATA,
    _COMMENT,
), "one row per process of the plant and its suppliers; each row of the other sheets names the process it belongs to")

BOM_SHEET = Sheet(BOM, "物料清单", (
    _process(),
    Column("material", "Material / component", "物料/零部件", "text", True, width=30),
    _amount("Mass or amount per run", "每次运行的质量或数量"),
    _unit(),
    Column("supplier", "Supplier", "供应商", width=20),
    Column("supplier_pcf", "Supplier PCF file (PACT JSON)", "供应商碳足迹文件(PACT JSON)", width=28),
    Column("background", "Background key", "背景数据库键", "key", choices="keys", width=34),
    Column("from_process", "Made in process (id)", "来自本厂工序(编号)", "id", choices="processes", width=18),
    _ID,
    Column("stage", "Report in stage (optional)", "计入阶段(可选)", "choice", choices="stages", width=22),
    _DATA,
    Column("emission_factor", "Factor (primary/secondary)", "排放因子类型", "choice", choices="data", width=12),
    _COMMENT,
), "materials and components per run of the process: give exactly one source, a supplier PCF file, a "
   "background key or the id of the process that makes it")

ENERGY_SHEET = Sheet(ENERGY, "能源", (
    _process(),
    Column("carrier", "Energy carrier", "能源类型", "text", True, width=20),
    _amount("Amount per run", "每次运行用量"),
    _unit(),
    Column("background", "Background key", "背景数据库键", "key", True, "keys", 34),
    Column("source", "Electricity source", "电力来源", "choice", choices="sources", width=12),
    Column("region", "Grid region", "电网区域", width=12),
    Column("year", "Grid year", "电网年份", "int", width=8),
    Column("instrument", "Contract instrument", "合同工具", "choice", choices="instruments", width=20),
    Column("generator", "Generator name", "发电设施名称", width=22),
    Column("technology", "Generator technology", "发电技术", width=18),
    Column("connection", "Direct connection", "直连方式", width=18),
    Column("evidence_ids", "Evidence ids (; separated)", "证明编号(分号分隔)", width=22),
    Column("evidence_issuer", "Evidence issuer", "证明签发机构", width=18),
    Column("evidence_period", "Evidence period", "证明覆盖期间", width=14),
    Column("evidence_documents", "Evidence documents", "证明文件位置", width=22),
    _ID,
    _DATA,
    _COMMENT,
), "energy per run of the process; for electricity say where it comes from: grid (region and year), "
   "contractual (instrument and its evidence) or direct (generator and connection)")

TRANSPORT_SHEET = Sheet(TRANSPORT, "运输", (
    _process(),
    Column("name", "Leg name", "运输段名称", width=24),
    Column("mode", "Mode", "运输方式", "choice", choices="modes", width=16),
    Column("distance", "Distance", "距离", "number", width=10),
    Column("distance_unit", "Distance unit", "距离单位", "unit", choices="units", width=9),
    Column("mass", "Mass carried", "运输质量", "number", width=10),
    Column("mass_unit", "Mass unit", "质量单位", "unit", choices="units", width=9),
    Column("tkm", "Or tonne-km", "或吨公里", "number", width=10),
    Column("background", "Background key", "背景数据库键", "key", choices="keys", width=30),
    _ID,
    _COMMENT,
), "transport legs per run of the process: a mode with distance and mass, or tonne-kilometres with "
   "a background key (or a mode, whose default activity is then used)")

EMISSIONS_SHEET = Sheet(EMISSIONS, "直接排放", (
    _process(),
    Column("substance", "Substance", "物质", "text", True, "substances", 24),
    Column("origin", "Origin (fossil/biogenic/land_use)", "来源(化石/生物/土地利用)", "choice", False, "origins", 14),
    Column("flow", "Emission or removal", "排放或清除", "choice", False, "flows", 12),
    _amount("Amount per run", "每次运行排放量"),
    _unit(),
    _COMMENT,
), "greenhouse gases the process emits itself per run (process CO2, refrigerant or SF6 leaks, ...), not "
   "those of the fuels it burns, which the Energy sheet's background keys carry; 'removal' for biogenic CO2 "
   "taken up from the air")

WASTE_SHEET = Sheet(WASTE, "生产废弃物", (
    _process(),
    Column("name", "Waste", "废弃物", "text", True, width=28),
    _amount("Amount per run", "每次运行数量"),
    _unit(),
    Column("background", "Treatment background key", "处理方式背景键", "key", choices="keys", width=32),
    Column("reason", "Reason if not modelled", "未建模原因", width=30),
    _COMMENT,
), "production waste per run of the process with its treatment; without a treatment key it is listed as "
   "cut off, with the reason")

END_OF_LIFE_SHEET = Sheet(END_OF_LIFE, "报废处理", (
    _process("报废工序"),
    Column("name", "Material or treatment", "材料或处理方式", "text", True, width=30),
    _amount("Amount per run", "每次运行数量"),
    _unit(),
    Column("background", "Treatment background key", "处理方式背景键", "key", choices="keys", width=32),
    Column("reason", "Reason if not modelled", "未建模原因", width=30),
    _COMMENT,
), "end-of-life treatment of the product per run of an end_of_life process (collection, transport to the "
   "recycler, recycling, disposal); without a key it is listed as cut off, with the reason")

EXCLUDED_SHEET = Sheet(EXCLUDED, "取舍", (
    _process(),
    Column("name", "Input left out", "未计入的输入", "text", True, width=30),
    _amount("Amount per run", "每次运行数量"),
    _unit(),
    Column("reason", "Reason", "原因", "text", True, width=36),
    Column("proxy", "Proxy background key (estimate)", "估算用背景键", "key", choices="keys", width=30),
), "inputs cut off from the system (ISO 14067 6.3.4.3), listed so the cut-off is visible; a proxy key "
   "estimates their share, never added")

TABLES: tuple[Sheet, ...] = (PARAMETERS_SHEET, PROCESS_SHEET, BOM_SHEET, ENERGY_SHEET, TRANSPORT_SHEET,
                             EMISSIONS_SHEET, WASTE_SHEET, END_OF_LIFE_SHEET, EXCLUDED_SHEET, SCENARIOS_SHEET)
#: Sheets the importer needs (Parameters, Emissions, Waste, EndOfLife, Excluded and Scenarios may
#: be deleted when unused).
REQUIRED_SHEETS = (PRODUCT, PROCESSES, BOM, ENERGY, TRANSPORT)


@dataclass(frozen=True)
class Field:
    """One field of the Product form: row ``row``, value in column C."""

    key: str
    en: str
    zh: str
    kind: str = "text"
    required: bool = False
    choices: str | None = None
    note: str = ""


PRODUCT_FIELDS: tuple[Field, ...] = (
    Field("product_id", "Product id", "产品编号", "id", True, note="letters, digits, _ . - ; names the output files"),
    Field("product_name", "Product name", "产品名称", "text", True),
    Field("reference_process", "Reference process id", "基准工序编号", "id", True, "processes",
          "the process (Processes sheet) whose output the results are for"),
    Field("reference_amount", "Reference flow amount", "基准流数量", "positive", True),
    Field("reference_unit", "Reference flow unit", "基准流单位", "unit", True, "units"),
    Field("declared_unit", "Declared unit (optional)", "声明单位(可选)", "unit", False, "units",
          "e.g. kWh of energy delivered over the service life, kWp of rated power"),
    Field("declared_description", "Declared unit description", "声明单位说明", "text"),
    Field("declared_per_reference", "Declared units per reference flow", "每基准流的声明单位数", "positive",
          note="e.g. capacity kWh x cycles per year x service life years"),
    Field("standard", "Standard", "标准", "choice", False, "standards"),
    Field("boundary", "System boundary", "系统边界", "choice", False, "boundaries"),
    Field("pcr", "PCR (product category rules)", "产品种类规则", "choice", False, "pcrs"),
    Field("method", "Characterisation method", "特征化方法", "choice", False, "methods"),
)
PRODUCT_ROW = {f.key: row for row, f in enumerate(PRODUCT_FIELDS, start=2)}
"""Product field -> its row (the value is in column C)."""

LIST_NAMES = ("keys", "units", "stages", "modes", "data", "sources", "instruments", "standards", "boundaries",
              "methods", "pcrs", "processes", "substances", "origins", "parameters", "flows")


@dataclass(frozen=True)
class Choices:
    """What the drop-downs offer and the importer checks against.

    ``keys``: background key -> its unit (the open default, ``databases/open-default.csv``);
    ``names``: background key -> activity name (shown beside the key on the Lists sheet);
    ``methods``: method ids; ``pcrs``: PCR ids (files of ``pcr_rules/``); ``modes``: transport
    mode -> default background key.
    """

    keys: dict[str, str]
    names: dict[str, str] = field(default_factory=dict)
    methods: tuple[str, ...] = ()
    pcrs: tuple[str, ...] = ()
    modes: dict[str, str] = field(default_factory=dict)

    def values(self, name: str) -> tuple[str, ...]:
        """The entries of drop-down list ``name`` (``processes`` is filled per workbook)."""
        fixed = {"keys": tuple(self.keys), "units": UNITS, "stages": STAGES, "modes": tuple(self.modes),
                 "data": DATA_KINDS, "sources": SOURCES, "instruments": INSTRUMENTS, "standards": STANDARDS,
                 "boundaries": BOUNDARIES, "methods": self.methods, "pcrs": self.pcrs, "processes": (),
                 "substances": SUBSTANCES, "origins": ORIGINS, "parameters": (), "flows": FLOWS}
        return fixed[name]
