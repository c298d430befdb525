"""IMS QTI 2.1: a content package, one ``assessmentItem`` per problem variant.

``write_qti`` writes into DIR:

    imsmanifest.xml           IMS Content Packaging 1.1 manifest listing every file
    items/<set>-<key>-vNNN.xml  one assessmentItem per variant
    test.xml                  an assessmentTest: a section per problem key drawing 1 of its N variants
    manual-grading.json       the parts no QTI engine can judge (also printed)
    <set>-qti21.zip           all of the above but the report, for LMS import

Each part is written from its answer type's ``ForeignEntry`` list:

* numeric: a ``textEntryInteraction`` (float), scored by ``equal`` with the part's
  absolute tolerance (``toleranceMode="absolute"``; ``exact`` for whole numbers); vectors
  and matrices get one entry per component, each carrying its share of the points;
* choice: a ``choiceInteraction`` (``maxChoices`` 1, or 0 for any subset), scored by ``match``;
* manual: an ``extendedTextInteraction`` with no scoring rule and a ``rubricBlock`` for
  the scorer holding the model answer; ``MAXSCORE`` still counts its points.

Statements and prompts are XHTML with math as MathML (``m:math``).
"""

from __future__ import annotations

import json
import re
import stat
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from ..bank.model import ProblemSet
from .html import inline, mathml_math, to_html
from .pool import ExportReport, PoolVariant, export_pool, manual_parts

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
MATHML = "http://www.w3.org/1998/Math/MathML"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
QTI_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
CP_XSD = "http://www.imsglobal.org/xsd/imscp_v1p1.xsd"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

TEXT = {
    "en": {"manual": "Graded by hand: a QTI engine cannot check this kind of answer.",
           "model": "Graded by hand. One correct answer", "pts": "pt", "variant": "variant"},
    "ru": {"manual": "Проверяется вручную: QTI не умеет проверять такой ответ.",
           "model": "Проверяется вручную. Один из верных ответов", "pts": "б.", "variant": "вариант"},
}


def ident(text: str) -> str:
    """A QTI identifier (an NCName): letters, digits, '_', '-', '.', not starting with a digit."""
    text = re.sub(r"[^A-Za-z0-9_.-]", "_", text)
    return text if re.match(r"[A-Za-z_]", text) else "_" + text


def _q(tag: str) -> str:
    return f"{{{QTI}}}{tag}"


def _sub(parent, tag, attrs=None, text=None):
    el = ET.SubElement(parent, _q(tag), {k: str(v) for k, v in (attrs or {}).items()})
    if text is not None:
        el.text = text
    return el


def _fragment(markup: str) -> list:
    """XHTML (with embedded MathML) parsed into QTI-namespace elements."""
    wrapper = ET.fromstring(f'<div xmlns="{QTI}">{markup}</div>')
    return list(wrapper)


def _append_html(parent, markup: str) -> None:
    for el in _fragment(markup):
        parent.append(el)


def _number(x: float) -> str:
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def item_xml(pset: ProblemSet, v: PoolVariant, lang: str) -> str:
    L = TEXT[lang]
    item_id = ident(f"{pset.id}-{v.ident}")
    root = ET.Element(_q("assessmentItem"), {
        f"{{{XSI}}}schemaLocation": f"{QTI} {QTI_XSD}", "identifier": item_id,
        "title": f"{v.key} · {v.title} · {L['variant']} {v.number}", "adaptive": "false",
        "timeDependent": "false", "{http://www.w3.org/XML/1998/namespace}lang": lang})
    rules = []          # (response id, entry, points) for the scored entries, in order
    responses = []      # (response id, entry) in body order
    for part in v.parts:
        for i, e in enumerate(part.entries):
            rid = ident(f"R_{part.id}" + (f"_{i + 1}" if len(part.entries) > 1 else ""))
            responses.append((rid, e))
            if e.kind != "manual":
                rules.append((rid, e, part.points * e.weight))
    for rid, e in responses:
        if e.kind == "numeric":
            decl = _sub(root, "responseDeclaration", {"identifier": rid, "cardinality": "single", "baseType": "float"})
            _sub(_sub(decl, "correctResponse"), "value", text=_number(e.value))
        elif e.kind == "choice":
            decl = _sub(root, "responseDeclaration", {"identifier": rid, "cardinality":
                                                      "multiple" if e.multiple else "single",
                                                      "baseType": "identifier"})
            correct = _sub(decl, "correctResponse")
            for oid, _ in e.options:
                if oid in e.correct:
                    _sub(correct, "value", text=ident("C_" + oid))
        else:
            _sub(root, "responseDeclaration", {"identifier": rid, "cardinality": "single", "baseType": "string"})
    total = sum(p.points for p in v.parts)
    for name, value in (("SCORE", 0), ("MAXSCORE", total)):
        decl = _sub(root, "outcomeDeclaration", {"identifier": name, "cardinality": "single", "baseType": "float"})
        _sub(_sub(decl, "defaultValue"), "value", text=_number(value))

    body = _sub(root, "itemBody")
    statement = _sub(body, "div")
    _append_html(statement, to_html(v.statement, mathml_math, tbody=True))
    by_part = iter(responses)
    for part in v.parts:
        note = f" <em>{inline(part.note, mathml_math)}</em>" if part.note else ""
        html = [f"<p><strong>{part.id}</strong> ({round(part.points, 2):g} {L['pts']}): "
                f"{inline(part.prompt, mathml_math)}{note}</p>"]
        numeric, rubrics = [], []
        for rid, e in [next(by_part) for _ in part.entries]:
            if e.kind == "numeric":
                numeric.append((f"[{e.label}] " if e.label else "")
                               + f'<textEntryInteraction responseIdentifier="{rid}" expectedLength="12"/>')
            elif e.kind == "choice":
                choices = "".join(
                    f'<simpleChoice identifier="{ident("C_" + oid)}">{_choice_label(oid, texts, lang)}</simpleChoice>'
                    for oid, texts in e.options)
                html.append(f'<choiceInteraction responseIdentifier="{rid}" shuffle="false" '
                            f'maxChoices="{0 if e.multiple else 1}">{choices}</choiceInteraction>')
            else:
                html.append(f'<extendedTextInteraction responseIdentifier="{rid}" expectedLines="3"/>'
                            f'<p><em>{_esc(L["manual"])}</em></p>')
                # for the scorer's eyes only; QTI allows rubric blocks at the top of the body
                rubrics.append(f'<rubricBlock view="scorer"><p>{part.id}: {_esc(L["model"])}: '
                               f'<code>{_esc(e.model)}</code></p></rubricBlock>')
        if numeric:
            html.append("<p>" + " ".join(numeric) + "</p>")
        _append_html(_sub(body, "div"), "".join(html))
        _append_html(body, "".join(rubrics))

    processing = _sub(root, "responseProcessing")
    for rid, e, points in rules:
        cond = _sub(processing, "responseCondition")
        branch = _sub(cond, "responseIf")
        if e.kind == "numeric":
            attrs = ({"toleranceMode": "exact"} if not e.tolerance else
                     {"toleranceMode": "absolute", "tolerance": f"{e.tolerance:.10g} {e.tolerance:.10g}"})
            test = _sub(branch, "equal", attrs)
        else:
            test = _sub(branch, "match")
        _sub(test, "variable", {"identifier": rid})
        _sub(test, "correct", {"identifier": rid})
        set_score = _sub(branch, "setOutcomeValue", {"identifier": "SCORE"})
        add = _sub(set_score, "sum")
        _sub(add, "variable", {"identifier": "SCORE"})
        _sub(add, "baseValue", {"baseType": "float"}, text=f"{points:.10g}")
    return _serialize(root, QTI)


def _choice_label(oid: str, texts: dict, lang: str) -> str:
    """``id: text`` (students of our sheets answer with the id), or the text when they agree."""
    text = texts.get(lang) or texts.get("en") or oid
    body = inline(text, mathml_math)
    return body if text.strip() == oid else f"{_esc(oid)}: {body}"


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_xml(pset: ProblemSet, variants: dict[str, list[PoolVariant]], lang: str) -> str:
    root = ET.Element(_q("assessmentTest"), {f"{{{XSI}}}schemaLocation": f"{QTI} {QTI_XSD}",
                                              "identifier": ident(f"{pset.id}-test"), "title": pset.title[lang]})
    part = _sub(root, "testPart", {"identifier": "P1", "navigationMode": "nonlinear", "submissionMode": "simultaneous"})
    for entry in pset.entries:
        section = _sub(part, "assessmentSection", {"identifier": ident(f"S_{entry.key}"), "visible": "true",
                                                   "title": f"{entry.key}: {entry.problem.title[lang]}"})
        _sub(section, "selection", {"select": 1})
        for v in variants[entry.key]:
            _sub(section, "assessmentItemRef", {"identifier": ident(f"ref-{v.ident}"),
                                                "href": f"items/{ident(pset.id + '-' + v.ident)}.xml"})
    return _serialize(root, QTI)


def manifest_xml(pset: ProblemSet, items: list[str]) -> str:
    root = ET.Element(f"{{{CP}}}manifest", {"identifier": ident(f"MANIFEST-{pset.id}"),
                                             f"{{{XSI}}}schemaLocation": f"{CP} {CP_XSD}"})
    meta = ET.SubElement(root, f"{{{CP}}}metadata")
    ET.SubElement(meta, f"{{{CP}}}schema").text = "QTIv2.1 Package"
    ET.SubElement(meta, f"{{{CP}}}schemaversion").text = "1.0.0"
    ET.SubElement(root, f"{{{CP}}}organizations")
    resources = ET.SubElement(root, f"{{{CP}}}resources")
    test = ET.SubElement(resources, f"{{{CP}}}resource", {"identifier": ident(f"{pset.id}-test"),
                                                          "type": "imsqti_test_xmlv2p1", "href": "test.xml"})
    ET.SubElement(test, f"{{{CP}}}file", {"href": "test.xml"})
    for href in items:
        ET.SubElement(test, f"{{{CP}}}dependency", {"identifierref": ident(Path(href).stem)})
    for href in items:
        res = ET.SubElement(resources, f"{{{CP}}}resource", {"identifier": ident(Path(href).stem),
                                                             "type": "imsqti_item_xmlv2p1", "href": href})
        ET.SubElement(res, f"{{{CP}}}file", {"href": href})
    return _serialize(root, CP)


def _serialize(root, default_namespace: str) -> str:
    """The document with its own namespace as the default and MathML as ``m:``, as the
    specification's examples read (ElementTree's prefix table is global: set before use)."""
    ET.register_namespace("", default_namespace)
    ET.register_namespace("m", MATHML)
    ET.register_namespace("xsi", XSI)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_qti(pset: ProblemSet, secret: bytes, n: int, out: Path, *, lang: str | None = None,
                 students: list[str] | None = None) -> ExportReport:
    """N pool variants per key, or with ``students`` each roster student's own variant."""
    lang = lang or pset.lang
    variants = export_pool(pset, secret, n, lang, students)
    out = Path(out)
    (out / "items").mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    for entry in pset.entries:
        for v in variants[entry.key]:
            files[f"items/{ident(pset.id + '-' + v.ident)}.xml"] = item_xml(pset, v, lang)
    files["test.xml"] = test_xml(pset, variants, lang)
    items = [name for name in files if name.startswith("items/")]
    files["imsmanifest.xml"] = manifest_xml(pset, items)
    for name, text in files.items():
        _private_write(out / name, text)
    report = ExportReport("QTI", str(out), sum(len(v) for v in variants.values()), manual_parts(variants))
    _private_write(out / "manual-grading.json", json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    archive = out / f"{pset.id}-qti21.zip"
    tmp = archive.with_name(archive.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            zf.writestr(info, files[name].encode("utf-8"))
    tmp.chmod(0o600)
    tmp.replace(archive)
    report.path = f"{out} and {archive}"
    return report


def _private_write(path: Path, text: str) -> None:
    """Atomically, mode 0600: every item carries its reference answers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
