"""Write the golden result JSON of every example case (tests/test_golden.py compares with them).

The files in this folder were written by main at commit eae0ab8, before issue 13 moved the
result into typed objects; that change must not change a number or a key. Re-run this script
only when a change is *meant* to change results, and say so in the commit:

    PCF_HOME=/tmp/pcf-golden python tests/golden/generate.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

CASES: list[dict] = []
for model, scenarios in (("examples/battery/nmc811-pack.yaml",
                          ["grid_east_china", "ppa_wind", "housing_secondary_aluminium", "service_life_10y",
                           "plant_cn_south", "plant_cn_southwest", "plant_cn_northwest", "plant_de", "plant_pl"]),
                         ("examples/battery/lfp-pack.yaml",
                          ["grid_east_china", "plant_cn_south", "plant_cn_southwest", "plant_cn_northwest",
                           "plant_de", "plant_pl"]),
                         ("examples/battery/nmc622-pack.yaml", []),
                         ("examples/pv/mono-si-module-cn.yaml", []),
                         ("examples/pv/mono-si-module-cn-c2g.yaml", [])):
    stem = Path(model).stem
    CASES.append({"name": stem, "model": model})
    CASES += [{"name": f"{stem}.{s}", "model": model, "scenario": s} for s in scenarios]
# The Chinese PCRs require ipcc-2021-gwp100, the model's method until issue 14 (the example now
# declares ef-3.1-climate-change under eu-battery-cfb-ev): these cases state it (issue 14 part 1).
CASES += [
    {"name": "nmc811-pack.gbt-24067", "model": "examples/battery/nmc811-pack.yaml", "pcr_id": "gbt-24067-generic",
     "method": "ipcc-2021-gwp100"},
    {"name": "nmc811-pack.cn-label", "model": "examples/battery/nmc811-pack.yaml",
     "pcr_id": "cn-label-lithium-battery", "method": "ipcc-2021-gwp100"},
    {"name": "nmc811-pack.jrc", "model": "examples/battery/nmc811-pack.yaml", "electricity_mode": "jrc_hierarchy"},
    {"name": "nmc811-pack.ar5", "model": "examples/battery/nmc811-pack.yaml", "method": "ipcc-2013-gwp100"},
    {"name": "nmc811-pack.mc", "model": "examples/battery/nmc811-pack.yaml", "monte_carlo": 200, "seed": 1},
    {"name": "mono-si-module-cn.gbt-24067", "model": "examples/pv/mono-si-module-cn.yaml",
     "pcr_id": "gbt-24067-generic"},
    {"name": "mono-si-module-cn-c2g.pv-module", "model": "examples/pv/mono-si-module-cn-c2g.yaml",
     "pcr_id": "pv-module"},
]


def compute(case: dict) -> dict:
    """The result JSON dict of one case, as ``pcf footprint`` writes it."""
    from pcf import api

    args = {k: v for k, v in case.items() if k not in ("name", "model")}
    out = api.compute(case["model"], **args)
    return out if isinstance(out, dict) else out.to_json()


def _write(path: Path, text: str) -> None:
    """gzip with no timestamp, so the same result gives the same bytes."""
    import gzip

    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(text.encode("utf-8"))


def main() -> None:
    import os

    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    for case in CASES:
        _write(HERE / f"{case['name']}.result.json.gz", json.dumps(compute(case), indent=1, ensure_ascii=False) + "\n")
        print(case["name"])
    (HERE / "cases.json").write_text(json.dumps(CASES, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
