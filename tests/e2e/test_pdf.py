"""`grader render --format pdf` on every shipped set, in both languages.

Needs a TeX engine (pdflatex, xelatex or tectonic) and poppler's `pdffonts`; skipped
without them (CI machines have neither; `apt-get install texlive-latex-recommended
texlive-lang-cyrillic cm-super lmodern texlive-pictures poppler-utils` gives both).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from grader.cli import main
from grader.render import pdf

ROOT = Path(__file__).resolve().parents[2]
SETS = sorted(p.stem for p in (ROOT / "sets").glob("*.yaml"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(pdf.find_engine() is None, reason="no TeX engine on this machine"),
    pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler's pdffonts is not installed"),
]


def fonts(path: Path) -> list[tuple[str, str]]:
    """(name, type) of every font in the PDF, as pdffonts lists them."""
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]                     # a header line and a rule
    return [(row.split()[0], "Type 3" if "Type 3" in row else row[37:54].strip()) for row in rows]


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("set_name", SETS)
def test_every_set_compiles_with_vector_fonts_only(set_name, lang, tmp_path, monkeypatch):
    """Sheets print sharp: no bitmap (Type 3) font in any set, Latin or Cyrillic."""
    monkeypatch.setenv("GRADER_SECRET", "pdf-test-secret-0123456789abcdef")
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id\ns001\n")
    code = main(["render", str(ROOT / "sets" / f"{set_name}.yaml"), "--roster", str(roster),
                 "--out", str(tmp_path / "out"), "--format", "pdf", "--lang", lang])
    assert code == 0
    sheet = tmp_path / "out" / "students" / "s001" / "sheet.pdf"
    assert sheet.read_bytes().startswith(b"%PDF")
    found = fonts(sheet)
    assert found, "pdffonts lists no font"
    assert not [name for name, kind in found if kind == "Type 3"], found
