"""The built distribution works on its own: `python -m build` (sdist, then the wheel from
the sdist) without warnings, the wheel installed into a fresh venv, and the tool used from a
folder outside the checkout: demo, list, validate, and a fresh `grader init` course rendered
and graded.

The fresh venv gets the wheel itself with pip; its dependencies (numpy, sympy, ...) come
from this test run's environment through a .pth line, which keeps the test to about a
minute. GRADER_PACKAGING_FULL=1 installs them into the venv from the package index instead.
"""

from __future__ import annotations

import csv
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
pytest.importorskip("build")


def run(cmd, cwd, env, timeout=600) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def dist(tmp_path_factory, ) -> dict:
    root = Path(__file__).resolve().parents[2]
    out = tmp_path_factory.mktemp("dist")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    proc = run([sys.executable, "-m", "build", "--outdir", str(out), str(root)], cwd=out, env=env)
    log = proc.stdout + proc.stderr
    warnings = [line for line in log.splitlines() if "warning" in line.lower()]
    assert not warnings, warnings
    wheel = next(out.glob("*.whl"))
    sdist = next(out.glob("*.tar.gz"))
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("venv")
    python = home / "v" / "bin" / "python"
    full = os.environ.get("GRADER_PACKAGING_FULL") == "1"
    subprocess.run([sys.executable, "-m", "venv", *([] if full else ["--without-pip"]), str(home / "v")],
                   check=True, timeout=300)
    if full:
        run([str(python), "-m", "pip", "install", "-q", str(dist["wheel"])], cwd=home, env=dict(os.environ))
    else:
        run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
             str(dist["wheel"])], cwd=home, env=dict(os.environ))
        purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        Path(purelib, "borrowed_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    outside = home / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADER_", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    env["GRADER_SECRET"] = "packaging-test-secret-0123456789"
    return {"bin": python.parent, "python": python, "cwd": outside, "env": env}


def grader(venv, *args, cwd=None):
    return run([str(venv["bin"] / "grader"), *args], cwd=cwd or venv["cwd"], env=venv["env"])


def test_the_wheel_ships_the_bank_and_no_top_level_reference(dist):
    names = zipfile.ZipFile(dist["wheel"]).namelist()
    tops = {n.split("/")[0] for n in names}
    assert "reference" not in tops and "problems" not in tops and "sets" not in tops
    assert "grader/_bundled/sets/demo.yaml" in names and "grader/_bundled/reference/networks.py" in names
    assert "grader/course_template/dot-github/workflows/grade.yml" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    meta = zipfile.ZipFile(dist["wheel"]).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "License-Expression: MIT" in meta


def test_the_installed_tool_runs_from_anywhere(venv):
    where = run([str(venv["python"]), "-c", "import grader, importlib.util; print(grader.__file__); "
                 "print(importlib.util.find_spec('reference'))"], cwd=venv["cwd"], env=venv["env"]).stdout
    assert str(venv["bin"].parent) in where.splitlines()[0] and where.splitlines()[1] == "None"
    assert "0." in grader(venv, "--version").stdout
    listing = grader(venv, "list").stdout
    assert "mlp-param-count" in listing and "[bundled]" in listing
    demo = grader(venv, "demo", "--out", "d", "--workers", "1").stdout
    assert "results, one line per submission" in demo and (venv["cwd"] / "d" / "grade" / "junit.xml").is_file()
    # one seed keeps it short: too few to tell every misconception apart, plenty to show that
    # every bundled family is found, loads and its solver imports and runs from the wheel
    proc = subprocess.run([str(venv["bin"] / "grader"), "validate", "--seeds", "1", "--workers", "2"],
                          cwd=venv["cwd"], env=venv["env"], capture_output=True, text=True, timeout=600)
    checked = int(proc.stdout.split(" families checked")[0].split()[-1])
    assert checked >= 39 and "[bundled]" in proc.stdout, proc.stdout[-2000:]
    assert "drawing failed" not in proc.stdout and "does not import" not in proc.stdout and not proc.stderr


def test_a_fresh_course_validates_renders_and_grades(venv):
    grader(venv, "init", "course")
    course = venv["cwd"] / "course"
    assert "neuron-preactivation" in grader(venv, "validate", "--seeds", "20", "--workers", "1", cwd=course).stdout
    grader(venv, "render", "sets/hw1.yaml", "--roster", "roster.csv", "--out", "out", cwd=course)
    assert (course / "out" / "students" / "s003" / "answers.yaml").is_file()
    grader(venv, "grade", "sets/hw1.yaml", "--submissions", "submissions", "--roster", "roster.csv",
           "--out", "graded", "--workers", "1", "--quiet", cwd=course)
    with open(course / "graded" / "gradebook.csv", newline="") as fh:
        totals = {row["student_id"]: float(row["total"]) for row in csv.DictReader(fh)}
    assert totals == {"s001": 1.0, "s002": 0.0, "s003": 0.0}
