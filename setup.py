"""Ships the bundled bank inside the package: problems/, reference/ and sets/ stay at the
top of the repository (SPEC's layout) and are copied to grader/_bundled/ in the wheel.

An editable install needs no copy: grader finds the bank beside its own folder
(grader.bank.banks.bundled_root). Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BANK = ("problems", "reference", "sets")
HERE = Path(__file__).resolve().parent


class build_py_with_bank(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "grader" / "_bundled"
        shutil.rmtree(target, ignore_errors=True)
        for name in BANK:
            shutil.copytree(HERE / name, target / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))

    def get_outputs(self, include_bytecode=True):
        outputs = list(super().get_outputs(include_bytecode))
        if not getattr(self, "editable_mode", False):
            target = Path(self.build_lib) / "grader" / "_bundled"
            for name in BANK:
                outputs += [str(target / f.relative_to(HERE)) for f in (HERE / name).rglob("*")
                            if f.is_file() and "__pycache__" not in f.parts]
        return outputs


setup(cmdclass={"build_py": build_py_with_bank})
