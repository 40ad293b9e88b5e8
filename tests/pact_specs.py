"""The exchange schemas of ``../shared/specs`` (beside the clone, as CI has them) as jsonschema validators.

Catena-X is not here: no Catena-X schema is in ``../shared/specs``, and pcf commits nothing a
fetch brought (the released schemas of eclipse-tractusx/sldt-semantic-models included), so the
tests check Catena-X exports with pcf's own checker, tests/catenax_rules.py, and
scripts/check-upstream-schemas validates them against the real schemas of a checkout.

PACT v2 and v3 publish OpenAPI 3.1 documents: their ``components/schemas`` are JSON Schema 2020-12,
so a validator for ``ProductFootprint`` is a schema that ``$ref``s into them. The Battery Pass
carbon-footprint schema 1.2.0 is a draft-04 JSON schema in UTF-16. Formats (uuid, date-time, uri)
are checked with jsonschema's FormatChecker.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

REPO = Path(__file__).resolve().parent.parent
SPECS = REPO.parent / "shared" / "specs"
PACT_V2 = SPECS / "pact-v2" / "openapi.yaml"
PACT_V3 = SPECS / "pact-v3" / "openapi.yaml"
BATTERY_PASS = SPECS / "battery-pass-carbon-footprint-1.2.0" / "CarbonFootprintForBatteries-schema.json"


def _read_json(path: Path):
    raw = path.read_bytes()
    encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    return json.loads(raw.decode(encoding))


def openapi_validator(path: Path, schema: str = "ProductFootprint") -> jsonschema.protocols.Validator:
    """Validator of ``components/schemas/<schema>`` of an OpenAPI 3.1 document."""
    assert path.is_file(), f"spec missing: {path} (CI keeps ../shared/specs beside the clone)"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": f"#/components/schemas/{schema}", "components": doc["components"]}
    return jsonschema.Draft202012Validator(root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def battery_pass_validator() -> jsonschema.protocols.Validator:
    assert BATTERY_PASS.is_file(), f"spec missing: {BATTERY_PASS}"
    schema = _read_json(BATTERY_PASS)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def errors(validator, document) -> list[str]:
    """Every validation error as ``path: message`` (empty when valid)."""
    return [f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def read_spec_json(path: Path):
    """A JSON file of the specs folder (UTF-8 or UTF-16)."""
    return _read_json(path)
