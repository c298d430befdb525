"""The roster's identity columns, beyond ``student_id``: how platforms name a student.

``bank.roster.load_roster`` validates the file and keeps ``student_id``, ``name`` and
``email``; platforms also name students by a school id (``sid``, Gradescope's "SID"),
a GitHub login (``github``), an SIS id (``sis_id``, Canvas's SIS User ID and Moodle's ID
number), an SIS login (``sis_login``) or a Canvas user id (``canvas_id``).
This module rereads the same (already validated) CSV for those columns, so the roster
format stays one file with optional columns.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..bank.roster import MAX_ROSTER_BYTES, load_roster
from ..yamlio import read_author_file

# column -> accepted header spellings (lower-cased, spaces and dashes as underscores)
COLUMNS = {
    "email": ("email", "e_mail", "email_address"),
    "name": ("name", "full_name"),
    "sid": ("sid", "school_id", "student_number"),
    "github": ("github", "github_username", "github_login"),
    "sis_id": ("sis_id", "sis_user_id", "idnumber", "id_number"),
    "sis_login": ("sis_login", "sis_login_id", "login_id"),
    "canvas_id": ("canvas_id", "canvas_user_id"),
}


@dataclass(frozen=True)
class Person:
    student_id: str
    name: str = ""
    email: str = ""
    sid: str = ""
    github: str = ""
    sis_id: str = ""
    sis_login: str = ""
    canvas_id: str = ""


def _norm_header(text: str) -> str:
    return (text or "").strip().lower().replace(" ", "_").replace("-", "_")


def load_people(path) -> list[Person]:
    """Every roster row with its identity columns, in file order (the roster is validated first)."""
    rows = load_roster(path)
    text = read_author_file(Path(path), MAX_ROSTER_BYTES)
    reader = csv.DictReader(io.StringIO(text))
    header = {_norm_header(h): h for h in reader.fieldnames or []}
    where = {col: next((header[s] for s in spellings if s in header), None) for col, spellings in COLUMNS.items()}
    extra = {}
    for raw in reader:
        sid = (raw.get(header.get("student_id", "student_id")) or "").strip()
        extra[sid] = {col: (raw.get(h) or "").strip() if h else "" for col, h in where.items()}
    return [Person(student_id=r["student_id"], **extra.get(r["student_id"], {})) for r in rows]


class Directory:
    """Finds a roster student by any identity a platform reports (case-insensitive email and login)."""

    def __init__(self, people: list[Person]):
        self.people = people
        self._by = {"email": {}, "sid": {}, "github": {}, "student_id": {}}
        for p in people:
            self._by["student_id"][p.student_id] = p
            if p.email:
                self._by["email"].setdefault(p.email.lower(), p)
            if p.sid:
                self._by["sid"].setdefault(p.sid, p)
            if p.github:
                self._by["github"].setdefault(p.github.lower(), p)

    def find(self, *, email: str = "", sid: str = "", github: str = "") -> Person | None:
        if email and (p := self._by["email"].get(email.strip().lower())):
            return p
        if sid and (p := self._by["sid"].get(str(sid).strip())):
            return p
        if github and (p := self._by["github"].get(github.strip().lower().lstrip("@"))):
            return p
        return None

    def has_column(self, column: str) -> bool:
        return any(getattr(p, column) for p in self.people)
