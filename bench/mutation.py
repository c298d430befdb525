"""Mutation testing of the grading policy: run mutmut, write a report, print the score.

    python bench/mutation.py [PATTERN ...] [--max-children N] [--report FILE] [--no-run]

Needs the dev extras (``pip install -e '.[dev]'``). The scope is configured under
``[tool.mutmut]`` in pyproject.toml: grader/grading/, grader/answer_types/,
grader/lang/equivalence.py, grader/validate.py, grader/variants.py. PATTERN narrows a
run to some mutants (mutmut's names, e.g. ``'grader.variants*'``); results accumulate
in ``mutants/`` between runs, so a campaign can go module by module; a run without a
pattern goes on with the mutants not checked yet. mutmut first maps each function to
the tests that reach it (one pass over the selection, a few minutes), then runs only
those for each mutant, fastest first, stopping at the first failure. The selection
(``[tool.mutmut]``) leaves out the subprocess and whole-batch end-to-end tests, which
would cost seconds per mutant; the whole scope is meant to take about an hour on 2
cores (``--max-children 2``).

Score = killed / (all mutants - the equivalent ones listed in
``bench/mutation_equivalent.txt``), where timeouts and crashes count as killed and
"no tests" and survivors as not killed. Each listed equivalent mutant says why no test
can kill it (it changes nothing observable).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = Path(__file__).with_name("mutation_equivalent.txt")
KILLED = {"killed", "timeout", "segfault", "caught by type check"}
NOT_RUN = {"not checked", "check was interrupted by user"}


def mutmut(*args: str, capture: bool = False) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("mutmut")
    command = [str(exe) if exe.exists() else "mutmut", *args]
    return subprocess.run(command, cwd=ROOT, text=True, capture_output=capture)


def equivalent() -> dict[str, str]:
    """``mutant name  # why`` per line; blank lines and lines starting with # are comments."""
    found = {}
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                name, _, why = line.partition("#")
                found[name.strip()] = why.strip()
    return found


def statuses() -> dict[str, str]:
    out = mutmut("results", "--all", "true", capture=True).stdout
    return {m.group(1): m.group(2) for m in re.finditer(r"^\s+(\S+): (.+)$", out, re.M)}


def module_of(name: str) -> str:
    return name.split(".x", 1)[0].split(".xǁ", 1)[0] if ".x" in name else name.rsplit(".", 1)[0]


def report(results: dict[str, str], equiv: dict[str, str]) -> tuple[str, float | None]:
    per_module: dict[str, Counter] = defaultdict(Counter)
    survivors = []
    for name, status in sorted(results.items()):
        kind = ("equivalent" if name in equiv else "killed" if status in KILLED
                else "not run" if status in NOT_RUN else "alive")
        per_module[module_of(name)][kind] += 1
        if kind == "alive":
            survivors.append((name, status))
    lines = ["# Mutation score", "", "| module | mutants | killed | equivalent | alive | not run | score |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    total = Counter()
    for module, c in sorted(per_module.items()):
        total.update(c)
        judged = c["killed"] + c["alive"]
        score = f"{100 * c['killed'] / judged:.1f} %" if judged else "-"
        lines.append(f"| {module} | {sum(c.values())} | {c['killed']} | {c['equivalent']} | {c['alive']} "
                     f"| {c['not run']} | {score} |")
    judged = total["killed"] + total["alive"]
    score = total["killed"] / judged if judged else None
    lines.append(f"| **all** | {sum(total.values())} | {total['killed']} | {total['equivalent']} | "
                 f"{total['alive']} | {total['not run']} | {'-' if score is None else f'{100 * score:.1f} %'} |")
    lines += ["", f"Alive ({len(survivors)}), see each with `mutmut show NAME`:", ""]
    lines += [f"- `{name}` ({status})" for name, status in survivors]
    lines += ["", f"Equivalent ({len(equiv)}), from {EQUIVALENT.name}:", ""]
    lines += [f"- `{name}`: {why}" for name, why in sorted(equiv.items())]
    return "\n".join(lines) + "\n", score


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("patterns", nargs="*", help="mutant name patterns (default: the whole scope)")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--report", default=str(ROOT / "mutants" / "report.md"))
    parser.add_argument("--no-run", action="store_true", help="only report the results so far")
    args = parser.parse_args(argv)
    if not args.no_run:
        run = mutmut("run", "--max-children", str(args.max_children), *args.patterns)
        if run.returncode not in (0, 1):
            print(f"mutmut run failed with exit code {run.returncode}", file=sys.stderr)
            return run.returncode
    results = statuses()
    if args.patterns:
        wanted = [re.compile(p.replace(".", r"\.").replace("*", ".*")) for p in args.patterns]
        results = {k: v for k, v in results.items() if any(w.match(k) for w in wanted)}
    if not results:
        print("no mutation results yet: run without --no-run first", file=sys.stderr)
        return 1
    if all(status in NOT_RUN for status in results.values()):
        print("mutmut ran no mutant (see its output above: the clean test run must pass)", file=sys.stderr)
        return 1
    text, score = report(results, equivalent())
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(text, encoding="utf-8")
    print(text.split("\nAlive")[0])
    print(f"mutation score: {'-' if score is None else f'{100 * score:.1f} %'} "
          f"of non-equivalent mutants killed; report in {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
