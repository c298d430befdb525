"""Solvers belong to their bank: `reference.<module>:<function>` is looked up in the
`reference/` folder of the bank that holds the problem file.

Each bank's `reference/` is imported as a private package (`_grader_bank_<hash>`), so two
banks may both have a `reference/kernels.py` and nothing named `reference` is ever
installed or left in `sys.modules`. Solver modules may import each other as authors
write them today (`from reference.common import exact`, `from reference import Reject`)
or relatively (`from .common import exact`): while a bank's module runs its imports,
the name `reference` means that bank. Imports belong at the top of a module; an import
run later, inside a function, would not see the alias.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import types
from pathlib import Path

ALIAS = "reference"


class Reject(Exception):
    """Raised by a solver when a draw makes a poorly posed variant; the draw is redone."""


class Undecided(str):
    """Returned by a property check that cannot settle an answer honestly (e.g. the sign of a
    pre-activation lost in floating-point rounding): the answer is left `undecided`."""


_LOCK = threading.RLock()
_ACTIVE: list[str] = []          # private package names whose imports are running (innermost last)
_PACKAGES: dict[Path, str] = {}  # reference folder -> its private package name


def package_name(reference_dir: Path) -> str:
    digest = hashlib.sha256(str(reference_dir).encode("utf-8")).hexdigest()[:12]
    return f"_grader_bank_{digest}"


class _AliasLoader(importlib.abc.Loader):
    """Hands out the bank's own module for `reference.<x>` (importing it if needed)."""

    def __init__(self, real: str):
        self.real = real

    def create_module(self, spec):
        module = importlib.import_module(self.real)
        self.spec = module.__spec__
        return module

    def exec_module(self, module):
        module.__spec__ = self.spec   # the import system stamped the alias's spec on it


class _AliasFinder(importlib.abc.MetaPathFinder):
    """While a bank's solver module is being imported, `reference...` means that bank."""

    def find_spec(self, name, path=None, target=None):
        if not _ACTIVE or not (name == ALIAS or name.startswith(ALIAS + ".")):
            return None
        real = _ACTIVE[-1] + name[len(ALIAS):]
        return importlib.util.spec_from_loader(name, _AliasLoader(real), is_package=name == ALIAS)


_FINDER = _AliasFinder()


def _package(reference_dir: Path) -> str:
    """The private package for one bank's reference/ folder, created on first use."""
    name = _PACKAGES.get(reference_dir)
    if name is not None and name in sys.modules:
        return name
    name = package_name(reference_dir)
    init = reference_dir / "__init__.py"
    if init.is_file():
        spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(reference_dir)])
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    else:   # a bank without __init__.py: a bare package that still offers Reject
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(reference_dir)]
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
    for attr, cls in (("Reject", Reject), ("Undecided", Undecided)):
        if not hasattr(module, attr):   # a bank whose __init__ does not re-export them
            setattr(module, attr, cls)
    _PACKAGES[reference_dir] = name
    return name


def load_module(reference_dir: Path, module: str) -> types.ModuleType:
    """`reference/<module>.py` of one bank (module may be dotted: `sub.mod`)."""
    reference_dir = Path(reference_dir).resolve()
    with _LOCK:
        # whatever `reference` means outside (a test's import of the checkout, another
        # installed package) steps aside while the bank's modules import each other
        saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k == ALIAS or k.startswith(ALIAS + ".")}
        if _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)
        try:
            pkg = _package(reference_dir)
            _ACTIVE.append(pkg)
            try:
                return importlib.import_module(f"{pkg}.{module}")
            finally:
                _ACTIVE.pop()
        finally:
            for k in [k for k in sys.modules if k == ALIAS or k.startswith(ALIAS + ".")]:
                del sys.modules[k]
            sys.modules.update(saved)


def module_file(reference_dir: Path, module: str) -> Path:
    return Path(reference_dir) / (module.replace(".", "/") + ".py")


def _innermost_in(exc: BaseException, folder: Path):
    """The last traceback frame inside folder (the solver's own file), or None."""
    import traceback
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if Path(f.filename).resolve().is_relative_to(folder)]
    return frames[-1] if frames else None


def solver_failure(problem, params: dict, exc: Exception):
    """An AuthorError for a solver that raised: its file and line, and the drawn parameters."""
    from ..errors import AuthorError
    code = getattr(problem.solver, "__code__", None)
    frame = _innermost_in(exc, Path(code.co_filename).resolve().parent) if code else None
    at = f" at {frame.filename}:{frame.lineno}" if frame else ""
    shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
    if len(shown) > 400:
        shown = shown[:400] + " …"
    return AuthorError(problem.file, f"solver {problem.solver_name} raised{at}: {type(exc).__name__}: {exc} "
                       f"(params: {shown})", field="solver")
