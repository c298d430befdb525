"""Rosters: a CSV with a `student_id` column (optional `name`, `email`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import re

from ..errors import AuthorError
from ..yamlio import read_author_file

MAX_ROSTER_BYTES = 5_000_000
STUDENT_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def valid_student_id(text) -> bool:
    """Ids become folder names: a strict alphabet, and never '.' or '..'."""
    return isinstance(text, str) and bool(STUDENT_ID_RE.match(text)) and text not in (".", "..")


def load_roster(path) -> list[dict]:
    """Rows in file order; ids are checked because they become folder names."""
    path = Path(path)
    text = read_author_file(path, MAX_ROSTER_BYTES)
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "student_id" not in [f.strip() for f in reader.fieldnames]:
        raise AuthorError(path, "the header has no student_id column", line=1, field="student_id",
                          expected="a header like student_id,name,email", got=",".join(reader.fieldnames or []))
    rows, seen = [], {}
    for row in reader:
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        line = reader.line_num
        sid = row.get("student_id", "")
        if not valid_student_id(sid):
            raise AuthorError(path, "unsafe or empty student id", line=line, field="student_id",
                              expected="1-64 characters from A-Z a-z 0-9 . _ -", got=sid)
        if sid.casefold() in seen:      # ids become file names, and many file systems ignore case
            raise AuthorError(path, f"duplicate student id (ids must differ in more than case: "
                                    f"'{seen[sid.casefold()]}' is already listed)",
                              line=line, field="student_id", got=sid)
        seen[sid.casefold()] = sid
        rows.append({"student_id": sid, "name": row.get("name", ""), "email": row.get("email", "")})
    if not rows:
        raise AuthorError(path, "the roster has no students", line=1)
    return rows
