"""`grader init DIR`: a working course repository (a bank of its own, with CI).

The files come from grader/course_template/ (dot-files are stored as `dot-<name>` so they
survive packaging); the JSON Schemas for editors are generated from the field tables now.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import __version__
from .errors import AuthorError, UsageError
from .schema import json_schema

TEMPLATE = Path(__file__).resolve().parent / "course_template"


def _target_name(relative: Path) -> Path:
    return Path(*[("." + p[4:]) if p.startswith("dot-") else p for p in relative.parts])


def init_course(target: Path) -> list[Path]:
    """Write the course into target (which must be missing or empty); returns the files."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()):
        raise UsageError(f"{target}: folder is not empty; choose a new one")
    if not TEMPLATE.is_dir():
        raise AuthorError(TEMPLATE, "the course template is missing from this installation")
    values = {"@NAME@": target.resolve().name, "@VERSION@": __version__,
              "@PIP_SPEC@": f"ml-hand-grader=={__version__}"}
    written = []
    for source in sorted(TEMPLATE.rglob("*")):
        if not source.is_file() or "__pycache__" in source.parts:
            continue
        dest = target / _target_name(source.relative_to(TEMPLATE))
        text = source.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(key, value)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
        written.append(dest)
    for kind in ("problem", "set"):
        dest = target / ".grader" / f"{kind}.schema.json"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(dest)
    return written
