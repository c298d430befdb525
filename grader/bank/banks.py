"""Where problem banks are found, in the order PATH would search them.

A bank is a folder with `problems/`, `reference/` and `sets/`. The banks in force are,
in order: `--bank DIR` (repeatable), `GRADER_BANK` (separated like PATH), the current
directory or its nearest parent holding `grader.toml` or `problems/`, and the bundled bank
that ships inside the installed package. The first bank that defines a problem id wins.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import AuthorError

ENV = "GRADER_BANK"
MARKERS = ("grader.toml", "problems")


@dataclass(frozen=True)
class Bank:
    root: Path
    origin: str   # how it was found: --bank, GRADER_BANK, cwd, set, bundled

    @property
    def problems(self) -> Path:
        return self.root / "problems"

    @property
    def reference(self) -> Path:
        return self.root / "reference"

    @property
    def sets(self) -> Path:
        return self.root / "sets"

    @property
    def bundled(self) -> bool:
        return self.origin == "bundled"

    @property
    def label(self) -> str:
        """How listings name the bank: `bundled`, or its folder (relative when under cwd)."""
        if self.bundled:
            return "bundled"
        try:
            rel = self.root.relative_to(Path.cwd().resolve())
            return "." if str(rel) == "." else f"./{rel}"
        except ValueError:
            return str(self.root)


def bundled_root() -> Path:
    """The bank that ships with the tool: grader/_bundled in a wheel, the checkout otherwise."""
    package = Path(__file__).resolve().parents[1]
    inside = package / "_bundled"
    if (inside / "problems").is_dir():
        return inside
    checkout = package.parent   # a source checkout or an editable install
    if (checkout / "problems").is_dir() and (checkout / "sets").is_dir():
        return checkout
    return inside


def _bank_dir(raw: str, where: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise AuthorError(path, f"{where}: bank folder not found")
    if not (path / "problems").is_dir():
        raise AuthorError(path, f"{where}: not a bank (a bank holds problems/, reference/ and sets/)")
    return path.resolve()


def cwd_bank(start: Path | None = None) -> Path | None:
    """The current directory or its nearest parent holding grader.toml or problems/."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "grader.toml").is_file() or (folder / "problems").is_dir():
            return folder
    return None


def discover(explicit=(), *, env: dict | None = None, cwd: Path | None = None) -> list[Bank]:
    """The banks in force, in search order, without duplicates."""
    env = os.environ if env is None else env
    found: list[Bank] = []

    def add(root: Path, origin: str) -> None:
        if all(b.root != root for b in found):
            found.append(Bank(root, origin))

    for raw in explicit or ():
        add(_bank_dir(str(raw), "--bank"), "--bank")
    for raw in (env.get(ENV) or "").split(os.pathsep):
        if raw.strip():
            add(_bank_dir(raw.strip(), ENV), ENV)
    here = cwd_bank(cwd)
    if here is not None:
        add(here, "cwd")
    bundled = bundled_root().resolve()
    found = [Bank(b.root, "bundled") if b.root == bundled else b for b in found]  # one name for it
    add(bundled, "bundled")
    return found


def bank_of(path: Path, banks: list[Bank]) -> Bank | None:
    """The bank (among those in force) whose folder holds this file."""
    path = Path(path).resolve()
    holders = [b for b in banks if path.is_relative_to(b.root)]
    return max(holders, key=lambda b: len(b.root.parts)) if holders else None  # the innermost
