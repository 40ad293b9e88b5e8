"""One-page verification statement template for the certification body (A4 PDF), and the
same statement as the last section of the CFP study report.

pcf fills in what the result says (product, study, PCR, conformity, the declared figure, the
class, the items the PCR leaves to the verifier); the certification body completes the
conclusion, level of assurance, label number, validity and signature by hand. An issued label's
statement is rendered by :mod:`pcf.registry` instead.

References
----------
ISO 14064-3:2019 (verification and validation of GHG statements); ISO 14067:2018 8
(critical review); GB/T 24067-2024 (鉴定性评审, critical review).
"""

from __future__ import annotations

from pathlib import Path

from pcf.declaration import Declaration
from pcf.render import fmt, output, view

#: Checks every verification asks for, whatever the PCR (ISO 14064-3:2019 evidence-gathering).
GENERAL_CHECKS = (
    ("模型中的活动数据可追溯至记录（物料清单、能源计量、采购）",
     "the model's activity data trace to records (bill of materials, metered energy, purchases)"),
    ("背景数据集与实际供应链（地区、技术、年份）相符",
     "the background datasets fit the actual supply chain (region, technology, year)"),
    ("结果可由模型文件（SHA-256）与背景数据库复现",
     "the result reproduces from the model file (SHA-256) and the background database"),
)


def verification_context(declaration: Declaration) -> dict:
    """What the verification statement shows, from a declaration.

    Returns
    -------
    dict
        Product, study and PCR facts, ``head`` (:func:`view.headline`), ``grades``,
        ``conforms`` / ``n_nonconformities`` / ``n_observations``, ``checks`` (the PCR's
        ``other`` items, then :data:`GENERAL_CHECKS`) as (zh, en, clause) tuples, ``state``.
    """
    result = declaration.result
    a = declaration.assessment
    findings = a.findings if a is not None else ()
    checks = []
    if a is not None:
        for rows in (a.contents.declaration, a.contents.report):
            for row in rows or ():
                if row.status == "verifier":
                    checks.append(("", row.text or row.en or "", row.clause or ""))
    checks += [(zh, en, "") for zh, en in GENERAL_CHECKS]
    boundary = view.study_value(result, "boundary")
    return {
        "pid": result.product.id, "name": result.product.name,
        "head": view.headline(declaration), "grades": view.grades(declaration),
        "not_graded": view.not_graded_reason(declaration),
        "pcr": view.pcr_text(declaration), "pcr_title": (a.pcr.title if a is not None else None) or "",
        "assessed": a is not None, "conforms": a.conforms if a is not None else None,
        "n_nonconformities": sum(f.severity == "nonconformity" for f in findings),
        "n_observations": sum(f.severity == "observation" for f in findings),
        "standard": view.standard_text(declaration),
        "boundary": f"{fmt.BOUNDARY_NAMES.get(boundary, ('', ''))[0]} {boundary}".strip(),
        "method": fmt.method_label(result), "created_at": result.created_at or fmt.DASH,
        "model_sha256": result.model_sha256 or fmt.DASH, "software_version": result.software_version or fmt.DASH,
        "scenario": result.scenario.name if result.scenario is not None else None,
        "checks": checks, "state": view.issue_state(declaration),
    }


def render_verification(declaration: Declaration, out_dir: Path, templates_dir: Path | None = None) -> Path:
    """Write the one-page verification statement template ``<stem>.verification.pdf`` (A4).

    Raises
    ------
    RenderError
        A product id that cannot name a file, a missing template, no CJK font, a WeasyPrint
        failure or an unwritable folder; no file is written then.
    """
    stem = output.file_stem(declaration)
    font = output.cjk_font()
    env = output.environment(templates_dir)
    html = output.render_template(env, "verification.html.j2", V=verification_context(declaration), font=font,
                                  css=output.read_template_file(env, "report.css"))
    pdf = output.html_to_pdf(html, output.template_folder(env))
    out = output.prepare_out_dir(out_dir)
    path = out / f"{stem}.verification.pdf"
    output.write_atomic({path: pdf})
    return path
