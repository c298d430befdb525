"""sheet.pdf from sheet.tex with the TeX engine found on the machine.

Engines tried in order: tectonic (fetches what it needs), xelatex, pdflatex. The sheet's
preamble asks for vector fonts: Latin Modern for Latin text, and T2A (Cyrillic) text
falls back to the cm-super Type 1 fonts, so no glyph is a bitmap when they are installed
(`apt-get install texlive-latex-recommended texlive-lang-cyrillic cm-super lmodern`).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import AuthorError

ENGINES = ("tectonic", "xelatex", "pdflatex")
INSTALL_HINT = ("no TeX engine found (looked for tectonic, xelatex, pdflatex); install one, e.g. "
                "`apt-get install texlive-latex-recommended texlive-lang-cyrillic cm-super lmodern`, "
                "or render --format tex and compile it elsewhere")


def find_engine() -> str | None:
    return next((e for e in ENGINES if shutil.which(e)), None)


def require_engine() -> str:
    """The engine to use, or an environment error (exit 1) that says what to install;
    checked before anything is rendered."""
    engine = find_engine()
    if engine is None:
        raise AuthorError("--format pdf", INSTALL_HINT)
    return engine


def tex_to_pdf(tex: str, target: Path, engine: str, timeout: float = 120) -> None:
    """Compile ``tex`` into ``target``; a failure names the engine and the log's first error."""
    with tempfile.TemporaryDirectory(prefix="grader-pdf-") as tmp:
        src = Path(tmp) / "sheet.tex"
        src.write_text(tex, encoding="utf-8")
        if engine == "tectonic":
            cmd = [engine, "--chatter", "minimal", "--outdir", tmp, str(src)]
            runs = 1
        else:
            cmd = [engine, "-interaction=nonstopmode", "-halt-on-error", "-output-directory", tmp, str(src)]
            runs = 2   # lists and references settle on the second pass
        for _ in range(runs):
            try:
                # bytes: TeX logs are not UTF-8 (they cut multibyte characters at line ends)
                done = subprocess.run(cmd, cwd=tmp, capture_output=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise AuthorError(str(target), f"{engine} did not finish within {timeout:.0f} s") from None
            if done.returncode != 0:
                log = (Path(tmp) / "sheet.log")
                text = (log.read_bytes() if log.exists() else done.stdout + done.stderr).decode("utf-8", "replace")
                first = next((line for line in text.splitlines() if line.startswith("!")), text[-400:])
                raise AuthorError(str(target), f"{engine} failed: {first.strip()}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(tmp) / "sheet.pdf", target)
