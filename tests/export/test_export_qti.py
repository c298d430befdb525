"""QTI 2.1: every item of every bundled set validates against the IMS schema (when present),
carries the key's numbers with the part's tolerance, and scores as its parts say."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest

from grader.bank.loader import load_set
from grader.cli import main
from grader.export.qti import MATHML, QTI
from grader.render.sheets import key_entry
from grader.variants import draw_variant, variant_seed

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT.parent / "shared" / "schemas" / "qti21" / "imsqti_v2p1p2.xsd"
SECRET = "test-secret-0123456789"
SETS = sorted(p.stem for p in (ROOT / "sets").glob("*.yaml"))
NS = {"q": QTI, "m": MATHML}


def export(tmp, name, n=2):
    import os
    out = tmp / name
    os.environ["GRADER_SECRET"] = SECRET
    try:
        assert main(["export", "qti", str(ROOT / "sets" / f"{name}.yaml"), "--variants", str(n),
                     "--out", str(out)]) == 0
    finally:
        del os.environ["GRADER_SECRET"]
    return out


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("qti")
    return {name: export(tmp, name) for name in SETS}


@pytest.fixture(scope="module")
def schema():
    if not SCHEMA.is_file():
        pytest.skip("IMS QTI 2.1 schema not present (../shared/schemas)")
    lxml = pytest.importorskip("lxml.etree")
    return lxml.XMLSchema(lxml.parse(str(SCHEMA)))


def items(package: Path):
    return sorted((package / "items").glob("*.xml"))


def score(item: ET.Element, responses: dict) -> float:
    """Our subset of QTI response processing, run as the specification defines it."""
    total = 0.0
    for cond in item.findall("q:responseProcessing/q:responseCondition", NS):
        branch = cond.find("q:responseIf", NS)
        test = branch[0]
        rid = test.find("q:variable", NS).get("identifier")
        decl = item.find(f"q:responseDeclaration[@identifier='{rid}']", NS)
        correct = [v.text for v in decl.findall("q:correctResponse/q:value", NS)]
        given = responses.get(rid)
        if given is None:
            continue
        if test.tag == f"{{{QTI}}}equal":
            mode = test.get("toleranceMode")
            ok = float(given) == float(correct[0]) if mode == "exact" else \
                abs(float(given) - float(correct[0])) <= float(test.get("tolerance").split()[0])
        else:
            ok = (set(given) == set(correct)) if decl.get("cardinality") == "multiple" else given == correct[0]
        if ok:
            total += float(branch.find("q:setOutcomeValue/q:sum/q:baseValue", NS).text)
    return total


def correct_responses(item: ET.Element) -> dict:
    out = {}
    for decl in item.findall("q:responseDeclaration", NS):
        values = [v.text for v in decl.findall("q:correctResponse/q:value", NS)]
        if values:
            out[decl.get("identifier")] = values if decl.get("cardinality") == "multiple" else values[0]
    return out


class TestPackage:
    @pytest.mark.parametrize("name", SETS)
    def test_every_item_and_the_test_validate(self, packages, schema, name):
        package = packages[name]
        from lxml import etree
        for path in items(package) + [package / "test.xml"]:
            doc = etree.parse(str(path))
            assert schema.validate(doc), f"{path.name}: {schema.error_log.last_error}"

    def test_manifest_and_zip_list_every_file(self, packages):
        package = packages["demo"]
        manifest = ET.parse(package / "imsmanifest.xml").getroot()
        cp = {"cp": "http://www.imsglobal.org/xsd/imscp_v1p1"}
        hrefs = {f.get("href") for f in manifest.findall(".//cp:resource/cp:file", cp)}
        assert hrefs == {f"items/{p.name}" for p in items(package)} | {"test.xml"}
        with zipfile.ZipFile(package / "demo-qti21.zip") as zf:
            assert set(zf.namelist()) == hrefs | {"imsmanifest.xml"}
        types = {r.get("type") for r in manifest.findall(".//cp:resource", cp)}
        assert types == {"imsqti_item_xmlv2p1", "imsqti_test_xmlv2p1"}
        pset = load_set(ROOT / "sets" / "demo.yaml")
        assert len(items(package)) == 2 * len(pset.entries)
        sections = ET.parse(package / "test.xml").getroot().findall(".//q:assessmentSection", NS)
        assert [s.find("q:selection", NS).get("select") for s in sections] == ["1"] * len(pset.entries)

    def test_manual_parts_are_reported_and_marked(self, packages):
        package = packages["demo"]
        report = json.loads((package / "manual-grading.json").read_text())
        manual = {(m["key"], m["part"]) for m in report["manual"]}
        assert ("q5", "grad_lin") in manual and all(m["type"] in ("expression", "matrix-expression", "property")
                                                     for m in report["manual"])
        item = ET.parse(package / "items" / "demo-q5-v001.xml").getroot()
        assert item.find(".//q:extendedTextInteraction[@responseIdentifier='R_grad_lin']", NS) is not None
        assert item.find("q:itemBody/q:rubricBlock[@view='scorer']", NS) is not None
        rules = {c.find("q:responseIf", NS)[0].find("q:variable", NS).get("identifier")
                 for c in item.findall(".//q:responseCondition", NS)}
        assert "R_grad_lin" not in rules

    def test_math_is_mathml(self, packages):
        item = ET.parse(packages["demo"] / "items" / "demo-q4-v001.xml").getroot()
        assert item.findall(".//m:math", NS)
        assert "$" not in "".join(item.find("q:itemBody", NS).itertext())


class TestScoring:
    def test_key_numbers_and_full_marks_for_the_key(self, packages):
        pset = load_set(ROOT / "sets" / "demo.yaml")
        for entry in pset.entries:
            for n in (1, 2):
                item = ET.parse(packages["demo"] / "items" / f"demo-{entry.key}-v{n:03d}.xml").getroot()
                auto = sum(p.points for p in entry.problem.parts
                           if p.type not in ("expression", "matrix-expression", "property"))
                scale = entry.points / entry.problem.points
                assert score(item, correct_responses(item)) == pytest.approx(auto * scale, abs=1e-6)
                maximum = item.find("q:outcomeDeclaration[@identifier='MAXSCORE']/q:defaultValue/q:value", NS)
                assert float(maximum.text) == pytest.approx(entry.points)

    def test_numbers_are_the_keys_and_tolerance_is_the_parts(self, packages):
        pset = load_set(ROOT / "sets" / "demo.yaml")
        entry = next(e for e in pset.entries if e.key == "q3")     # numbers with a relative tolerance
        # the pool's first variant is drawn for the pseudo-student pool-1
        variant = draw_variant(entry.problem, variant_seed(SECRET.encode(), pset.id, "pool-1", "q3"))
        key = key_entry([(entry, variant)])["q3"]["answers"]
        item = ET.parse(packages["demo"] / "items" / "demo-q3-v001.xml").getroot()
        for part in entry.problem.parts:
            rid = f"R_{part.id}"
            value = item.find(f"q:responseDeclaration[@identifier='{rid}']/q:correctResponse/q:value", NS).text
            expected = float(Fraction(key[part.id])) if isinstance(key[part.id], str) else float(key[part.id])
            assert float(value) == pytest.approx(expected, rel=1e-12)
            equal = next(c.find("q:responseIf/q:equal", NS) for c in item.findall(".//q:responseCondition", NS)
                         if c.find("q:responseIf", NS)[0].find("q:variable", NS).get("identifier") == rid)
            tol = float(equal.get("tolerance").split()[0])
            assert tol == pytest.approx(part.answer.tolerance.allowed(expected), rel=1e-6)
            off = {rid: str(expected + 2 * tol + 1e-9)}
            near = {rid: str(expected + 0.5 * tol)}
            assert score(item, off) == 0 and score(item, near) > 0

    def test_same_secret_same_package(self, packages, tmp_path):
        again = export(tmp_path, "demo")
        for path in items(packages["demo"]):
            assert (again / "items" / path.name).read_bytes() == path.read_bytes()
        assert (again / "demo-qti21.zip").read_bytes() == (packages["demo"] / "demo-qti21.zip").read_bytes()
