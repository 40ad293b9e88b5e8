"""The public verification site (``pcf registry publish``), opened in headless Chromium.

A registry with a valid, a revoked, a suspended, an expired-and-renewed label and one with a
hostile product name is published; Chromium (Debian package ``chromium``) loads the pages
from ``file://`` and from a localhost HTTP server at the URL the label's QR code holds, and
the DOM it builds says which label is valid and which is revoked.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import socket
import subprocess
import threading
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from pcf.registry import change_status, init_registry, issue, renew
from pcf.serve.publish import publish
from pcf.render.qr import qr_path
from tests.registry_util import CHROMIUM_FLAGS, make_declaration, new_registry, root_of, signed_case, utc
from tests.test_registry_safety import HOSTILE_NAME

T0, T1, T_PUBLISH = utc(2026, 1, 1), utc(2026, 1, 2), utc(2026, 6, 1)
SECRET_REASON = "supplier Zhang San falsified meter readings"  # a suspension's reason: never published
REVOKE_REASON = "cell supplier data found wrong in audit"  # a revocation's reason: on the page (issue 15 part 8)
JUSTIFICATION = "2025 production data still representative: line unchanged, audit 2026-02"  # shown on the page


def chromium_dom(url: str, tmp_path) -> str:
    """The DOM Chromium builds for a page (``--dump-dom``)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is missing: `make test` installs the Debian package chromium"
    profile = tmp_path / f"chromium-profile-{abs(hash(url))}"
    done = subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "<html" in done.stdout, done.stderr[-2000:]
    return done.stdout


class Elements(HTMLParser):
    """Text and attributes of the elements with an id, the tags seen, and table rows' data-*."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, dict] = {}
        self.tags: list[str] = []
        self.rows: list[dict] = []
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if "id" in attrs:
            self.by_id[attrs["id"]] = {"attrs": attrs, "text": ""}
            self._open.append(attrs["id"])
        elif self._open:
            self._open.append("")
        if tag == "tr" and "data-status" in attrs:
            self.rows.append(attrs)

    def handle_endtag(self, tag):
        if self._open and tag not in ("br", "meta"):
            self._open.pop()

    def handle_data(self, data):
        for name in self._open:
            if name:
                self.by_id[name]["text"] += data


@pytest.fixture(scope="module")
def site(tmp_path_factory, registry_backend):
    tmp = tmp_path_factory.mktemp("site")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store, key, _, _ = new_registry(tmp, now=T0)
    init_registry(store, url=f"http://127.0.0.1:{port}/labels", root_key=root_of(store), now=T0)
    labels = {}
    labels["valid"] = issue(store, make_declaration(), key, 730, tmp / "issued", now=T1)
    for pid in ("REVOKED-PACK", "SUSPENDED-PACK", "SHORT-PACK"):
        signed_case(store, make_declaration(id=pid), now=T0)
    signed_case(store, make_declaration(id="HOSTILE-PACK", name=HOSTILE_NAME), now=T0)
    labels["revoked"] = issue(store, make_declaration(id="REVOKED-PACK"), key, 730, None, now=T1)
    change_status(store, labels["revoked"].number, "revoke", REVOKE_REASON, key, now=utc(2026, 2, 1))
    labels["suspended"] = issue(store, make_declaration(id="SUSPENDED-PACK"), key, 730, None, now=T1)
    change_status(store, labels["suspended"].number, "suspend", SECRET_REASON, key, now=utc(2026, 2, 1))
    labels["expired"] = issue(store, make_declaration(id="SHORT-PACK"), key, 30, None, now=T1)
    labels["renewal"] = renew(store, labels["expired"].number, key, 730, "new audit", None, now=utc(2026, 3, 1),
                              justification=JUSTIFICATION)
    labels["hostile"] = issue(store, make_declaration(id="HOSTILE-PACK", name=HOSTILE_NAME), key, 730, None, now=T1)
    out = tmp / "www" / "labels"
    files = publish(store, out, now=T_PUBLISH)
    store.close()
    return {"tmp": tmp, "out": out, "files": files, "labels": labels, "port": port}


def test_site_files_and_no_private_data(site):
    names = sorted(p.name for p in site["files"])
    numbers = [i.number for i in site["labels"].values()]
    assert names == sorted([f"{n}.html" for n in numbers] + [f"{n}.declaration.json" for n in numbers]
                           + ["index.html", "labels.json", "keys.json"])
    for path in site["out"].iterdir():
        text = path.read_text(encoding="utf-8")
        assert SECRET_REASON not in text and "new audit" not in text, path.name
        # a revocation's reason is public: its page, labels.json and its row in the index (issue 20)
        assert (REVOKE_REASON in text) == (path.name in (f"{site['labels']['revoked'].number}.html", "labels.json",
                                                         "index.html")), path.name
        assert "PRIVATE KEY" not in text, path.name
        if path.suffix == ".html":
            assert "<script" not in text and "<svg" not in text, path.name
    status = {r["number"]: r["status"] for r in json.loads((site["out"] / "labels.json").read_text())["labels"]}
    lab = site["labels"]
    assert status == {lab["valid"].number: "valid", lab["revoked"].number: "revoked",
                      lab["suspended"].number: "suspended", lab["expired"].number: "superseded",
                      lab["renewal"].number: "valid", lab["hostile"].number: "valid"}
    # the published declaration is the signed one, byte for byte as JSON
    published = json.loads((site["out"] / f"{lab['valid'].number}.declaration.json").read_text())
    assert published == lab["valid"].document


def test_qr_code_of_the_issued_label_points_to_its_page(site):
    issued = site["labels"]["valid"]
    assert issued.qr == f"http://127.0.0.1:{site['port']}/labels/{issued.number}.html"
    root = ET.fromstring(issued.files["label.svg"].read_text(encoding="utf-8"))
    qr = root.find(".//{http://www.w3.org/2000/svg}svg[@id='qr']/{http://www.w3.org/2000/svg}path")
    assert qr.get("d") == qr_path(issued.qr)["d"]
    number = root.find(".//{http://www.w3.org/2000/svg}text[@id='label-number']")
    assert number.text == issued.number
    # served over HTTP at that URL, Chromium shows the label as valid
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site["out"].parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", site["port"]), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        dom = Elements(chromium_dom(issued.qr, site["tmp"]))
    finally:
        server.shutdown()
        server.server_close()
    status = dom.by_id["status"]
    assert status["attrs"]["data-status"] == "valid" and "VALID" in status["text"] and "有效" in status["text"]
    assert dom.by_id["number"]["text"].strip() == issued.number
    assert "0.200" in dom.by_id["value"]["text"] and dom.by_id["class"]["text"].strip().startswith("C")


def test_revoked_and_other_pages_say_so_in_the_browser(site):
    lab = site["labels"]
    revoked = Elements(chromium_dom((site["out"] / f"{lab['revoked'].number}.html").as_uri(), site["tmp"]))
    status = revoked.by_id["status"]
    assert status["attrs"]["data-status"] == "revoked"
    assert "REVOKED" in status["text"] and "已撤销" in status["text"] and "VALID" not in status["text"].replace("REVOKED", "")
    assert "REVOKED-PACK" in revoked.by_id["product"]["text"]
    assert revoked.by_id["status-reason"]["text"].strip() == f"撤销原因 Reason for revocation: {REVOKE_REASON}"
    assert revoked.by_id["status-date"]["text"].strip() == "撤销日期 Revoked on 2026-02-01"  # change_status(now=...)
    assert revoked.by_id["as-of"]["text"].startswith("状态截至 Status as of 2026-06-01T00:00:00Z")
    index = Elements(chromium_dom((site["out"] / "index.html").as_uri(), site["tmp"]))
    assert {r["data-number"]: r["data-status"] for r in index.rows} == {
        lab["valid"].number: "valid", lab["revoked"].number: "revoked", lab["suspended"].number: "suspended",
        lab["expired"].number: "superseded", lab["renewal"].number: "valid", lab["hostile"].number: "valid"}
    expired = Elements(chromium_dom((site["out"] / f"{lab['expired'].number}.html").as_uri(), site["tmp"]))
    # issue 15: a renewed label is superseded by its renewal (its page is not VALID), linked both ways
    assert expired.by_id["status"]["attrs"]["data-status"] == "superseded"
    assert expired.by_id["renewed-by"]["text"].strip() == lab["renewal"].number
    assert expired.by_id["superseded-by"]["text"].strip() == lab["renewal"].number
    renewal = Elements(chromium_dom((site["out"] / f"{lab['renewal'].number}.html").as_uri(), site["tmp"]))
    assert renewal.by_id["supersedes"]["text"].strip() == lab["expired"].number
    assert renewal.by_id["justification"]["text"].strip() == JUSTIFICATION


def test_hostile_product_name_is_text_in_the_browser(site):
    dom = Elements(chromium_dom((site["out"] / f"{site['labels']['hostile'].number}.html").as_uri(), site["tmp"]))
    assert "script" not in dom.tags and "svg" not in dom.tags
    assert HOSTILE_NAME in dom.by_id["product"]["text"]
    assert dom.by_id["status"]["attrs"]["data-status"] == "valid"


def china_declaration(product_id: str, name: str | None = None):
    """The hand-made result (tests/registry_util.py) computed with IPCC 2021 GWP100 and assessed
    under ``gbt-24067-generic``, as the README's China walk-through does: its ``study.standard``
    stays the model's ISO 14067:2018, while the rule file names GB/T 24067-2024 (``standard:``);
    that rule also wants the emission-factor sources listed (one data source)."""
    import dataclasses

    from pcf.declaration import build_declaration
    from pcf.pcr import load_pcr
    from tests import builders
    from tests.registry_util import make_footprint

    from pcf.lca.result import ExchangeFacts

    result = make_footprint(id=product_id, **({"name": name} if name else {}))
    result = dataclasses.replace(
        result, method="ipcc-2021-gwp100", exchange=ExchangeFacts(reference_period={"start": "2025-01-01",
                                                                                  "end": "2025-12-31"}),
        study=dataclasses.replace(result.study, pcr="gbt-24067-generic", method="ipcc-2021-gwp100"),
        data_sources=(builders._data_source({"background": "nickel", "kg_co2e": 600.0}),))
    return build_declaration(result, load_pcr("gbt-24067-generic"))


def red_pixels(png: bytes, colour=(0xB4, 0x23, 0x18)) -> int:
    """Pixels of exactly the revoked colour of registry_site.css (#b42318) in a screenshot."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return sum(count for count, rgb in image.getcolors(image.width * image.height) if rgb == colour)


def screenshot(url: str, tmp_path, width: int, height: int) -> bytes:
    """Chromium's screenshot of a page at a window of ``width`` x ``height`` CSS pixels."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    out = tmp_path / f"shot-{width}-{abs(hash(url))}.png"
    done = subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-shot'}", "--hide-scrollbars",
                           f"--window-size={width},{height}", f"--screenshot={out}", url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and out.exists(), done.stderr[-2000:]
    return out.read_bytes()


def test_a_revoked_china_label_as_a_customer_reads_it(tmp_path, registry_backend):
    """Issue 20: one label under gbt-24067-generic, revoked. Its page names the standard of the
    rule (GB/T 24067-2024), not the declaration's study.standard (ISO 14067:2018); it says the
    revocation's date and reason; the figure per declared unit says what the unit is (the
    model's description: the rule sets no words) and gives the figure per pack: 960 kg CO2e
    over 4,800 kWh = 0.2000 kg CO2e / kWh, 960.0 kg CO2e / item at 4 significant figures. The
    index counts "1 label", and its row says the date and reason too. On a phone-wide window
    (390 px) the index still shows the revoked badge (its table used to run off the right edge)."""
    store, key, _, _ = new_registry(tmp_path, now=T0, case=False)
    declaration = china_declaration("CN-PACK")
    assert declaration.result.study.standard == "ISO 14067:2018"
    signed_case(store, declaration, now=T0)
    label = issue(store, declaration, key, 730, None, now=T1)
    change_status(store, label.number, "revoke", REVOKE_REASON, key, now=utc(2026, 2, 1, 9, 30))
    out = tmp_path / "site"
    publish(store, out, now=T_PUBLISH)
    store.close()
    page = Elements(chromium_dom((out / f"{label.number}.html").as_uri(), tmp_path))
    assert page.by_id["standard"]["text"].split(" · ")[0].strip() == "GB/T 24067-2024"
    assert page.by_id["status-date"]["text"].strip() == "撤销日期 Revoked on 2026-02-01"
    assert page.by_id["status-reason"]["text"].strip() == f"撤销原因 Reason for revocation: {REVOKE_REASON}"
    assert " ".join(page.by_id["value"]["text"].split()).startswith("0.2000 kg CO2e / kWh")
    assert page.by_id["declared-unit"]["text"].strip() == "每声明单位 per kWh delivered over the service life"
    assert " ".join(page.by_id["per-reference-flow"]["text"].split()) == "= 960.0 kg CO2e / item 每参考流 per reference flow"
    index_url = (out / "index.html").as_uri()
    index = Elements(chromium_dom(index_url, tmp_path))
    assert index.by_id["count"]["text"] == "1 label"
    row = (out / "index.html").read_text(encoding="utf-8")
    assert "撤销日期 Revoked on <span class=\"nowrap\">2026-02-01</span>" in row and REVOKE_REASON in row
    assert red_pixels(screenshot(index_url, tmp_path, 390, 1400)) > 100


def test_the_statement_of_a_renewed_china_label_names_gbt_24067_on_one_page(tmp_path, registry_backend):
    """The walk-through's renewed label (README): the statement said "ISO 14067:2018" (the
    declaration's study.standard) under gbt-24067-generic, whose rule names GB/T 24067-2024,
    and with the renewal's rows (renews, supersedes, justification, data period) the walk-through's
    statement put its last line on a second page (its margins are now 12 mm; this case, with the
    NMC811 example's 80-character name and a 2025 data period, is checked to stay on one page)."""
    store, key, _, _ = new_registry(tmp_path, now=T0, case=False)
    declaration = china_declaration("CN-PACK", "EV battery pack, NMC811/graphite, 23.5 kWh, made in China, "
                                               "delivered to the EU")
    signed_case(store, declaration, now=T0)
    first = issue(store, declaration, key, 730, None, now=T1)
    renewed = renew(store, first.number, key, 730, "annual surveillance", tmp_path / "labels", now=utc(2026, 3, 1),
                    justification="production and suppliers unchanged (surveillance audit)")
    store.close()
    pdf = renewed.files["statement.pdf"]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert [line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")] == ["1"]
    text = " ".join(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "GB/T 24067-2024 · cradle-to-grave" in text and "ISO 14067:2018 · cradle-to-grave" not in text
    assert f"Supersedes {first.number}" in text and "production and suppliers unchanged (surveillance audit)" in text


def test_the_index_says_a_class_on_illustrative_thresholds_is_illustrative(site):
    """Issue 20 (seen as PNG): the index showed a bare class letter where the label page says
    "(示意性阈值 illustrative thresholds)"; the fixture's class C is on the EU rule's pcf thresholds."""
    html = (site["out"] / "index.html").read_text(encoding="utf-8")
    number = site["labels"]["valid"].number
    row = html[html.index(f'data-number="{number}"'):]
    row = row[:row.index("</tr>")]
    assert re.search(r'data-label="等级 Class">C<br><span class="note">示意性 illustrative</span>', row), row
