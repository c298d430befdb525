"""Benchmark: instructions per cold pass over the compare mix, this checkout against a git revision.

    python bench/instructions.py [--base REV] [--passes N]

Wall-clock times on a shared machine move by several per cent from run to run,
more than most single changes to the engine are worth. This counts the CPU
instructions one pass of ``bench/compare.py``'s mix costs (what that benchmark
times for our side: every pair read and compared, caches cleared at the start),
under valgrind's callgrind, for the working tree and for ``--base`` (default
``HEAD``) checked out in a temporary git worktree, and prints both and their
ratio. The count is repeatable to the instruction: hash seeds are fixed, address
randomisation is off where ``setarch`` allows, and OpenBLAS runs one thread (its
idle threads spin, and the spinning is counted). Start-up is left out by
subtracting a run that only warms up.

Needs valgrind (``apt install valgrind``); it says so if it is missing.
A count is not a time (numpy's C loops and cache misses weigh differently), so
``bench/compare.py`` stays the measure of the target; this is for telling whether a
change helps.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def drive(tree: str, passes: int) -> None:
    """Inside valgrind: warm up on the mix, then ``passes`` cold passes (tree's own code)."""
    sys.path[:0] = [tree, str(Path(tree) / "bench")]
    import grader
    if not Path(grader.__file__).resolve().is_relative_to(Path(tree).resolve()):
        sys.exit(f"imported grader from {grader.__file__}, not from {tree}")
    import compare
    from grader.lang import clear_caches

    pairs = compare.mix()
    for pair in pairs:
        compare.ours(pair)
    for _ in range(passes):
        clear_caches()
        types: dict = {}
        for pair in pairs:
            compare.ours(pair, types)


def count(tree: Path, passes: int) -> int:
    """Instructions executed by ``drive(tree, passes)``."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, str(Path(__file__).resolve()), "--drive", str(tree), str(passes)]
    if shutil.which("setarch"):
        command = ["setarch", platform.machine(), "-R", *command]
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tree)
    found = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        sys.exit(f"callgrind failed for {tree}:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_pass(tree: Path, passes: int) -> float:
    return (count(tree, passes) - count(tree, 0)) / passes


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cli.add_argument("--base", default="HEAD", help="git revision to compare with (default HEAD)")
    cli.add_argument("--passes", type=int, default=4, help="cold passes counted (default 4)")
    cli.add_argument("--drive", nargs=2, metavar=("TREE", "PASSES"), help=argparse.SUPPRESS)
    args = cli.parse_args()
    if args.drive:
        drive(args.drive[0], int(args.drive[1]))
        return
    if shutil.which("valgrind") is None:
        sys.exit("bench/instructions.py needs valgrind (e.g. apt install valgrind)")
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base],
                       cwd=ROOT, check=True, capture_output=True)
        try:
            theirs = per_pass(base, args.passes)
            ours = per_pass(ROOT, args.passes)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT,
                           capture_output=True)
    print(f"instructions per cold pass over the compare mix ({args.passes} passes counted)")
    print(f"  {args.base:<12} {theirs / 1e6:10.2f} M")
    print(f"  {'this tree':<12} {ours / 1e6:10.2f} M")
    print(f"  ratio        {ours / theirs:10.4f}  ({(ours / theirs - 1) * 100:+.2f}%)")


if __name__ == "__main__":
    main()
