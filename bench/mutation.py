"""Mutation testing of the grading policy: run mutmut, write a report, print the score.

    python bench/mutation.py --sample 0.2        # the hour-long campaign on 2 cores
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

The whole scope is about 9 200 mutants; a surviving mutant runs every test that reaches
its function (up to half a minute for the comparison engine), so all of them take
several hours on 2 cores. ``--sample F`` runs a fixed random share F of each module's
mutants (the listed equivalent ones left out; the sample is kept in
``mutants/sample.txt`` and reused for the same ``--sample`` and ``--seed``, so a rerun
after new tests or new equivalents re-checks the same mutants) and prints the estimated score
of the whole scope: per module the share killed in its sample, weighted by the module's
size, with a 95 % interval (normal approximation, finite-population corrected).
"""

from __future__ import annotations

import argparse
import math
import random
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


SAMPLE = ROOT / "mutants" / "sample.txt"


def saved_sample(fraction: float, seed: int) -> list[str] | None:
    """The sample an earlier run with the same share and seed drew (``mutants/sample.txt``):
    kept, so that listing a mutant as equivalent later does not redraw the sample."""
    if not SAMPLE.exists():
        return None
    head, *names = SAMPLE.read_text(encoding="utf-8").splitlines()
    return [n for n in names if n] if head == f"# --sample {fraction} --seed {seed}" else None


def sample(names, fraction: float, seed: int, equiv) -> list[str]:
    """A fixed random share of each module's mutants (listed equivalent ones left out)."""
    by_module: dict[str, list[str]] = defaultdict(list)
    for name in sorted(names):
        if name not in equiv:
            by_module[module_of(name)].append(name)
    chosen = []
    for module, group in sorted(by_module.items()):
        k = min(len(group), max(1, math.ceil(fraction * len(group))))
        chosen += random.Random(f"{seed}:{module}").sample(group, k)
    return sorted(chosen)


def estimate(results: dict[str, str], population: dict[str, int], equiv) -> tuple[float, float] | None:
    """The scope's score estimated from a per-module sample, and its 95 % half-width.

    ``population``: module -> its non-equivalent mutants. Each module's share killed is
    weighted by its size; not-run mutants are left out of the sample."""
    per: dict[str, Counter] = defaultdict(Counter)
    for name, status in results.items():
        if name in equiv or status in NOT_RUN:
            continue
        per[module_of(name)]["killed" if status in KILLED else "alive"] += 1
    total = sum(population[m] for m in per)
    if not total:
        return None
    score = variance = 0.0
    for module, c in per.items():
        n, size = c["killed"] + c["alive"], population[module]
        p, w = c["killed"] / n, size / total
        score += w * p
        variance += w * w * p * (1 - p) / n * (max(size - n, 0) / max(size - 1, 1))
    return score, 1.96 * math.sqrt(variance)


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
    parser.add_argument("--sample", type=float, metavar="F",
                        help="run a fixed random share F (0 < F <= 1) of each module's mutants "
                             "and estimate the score of the whole scope")
    parser.add_argument("--seed", type=int, default=17, help="which sample --sample draws (default 17)")
    parser.add_argument("--rerun-alive", action="store_true",
                        help="check the surviving mutants (of the sample, or of PATTERN) again, "
                             "after new tests")
    args = parser.parse_args(argv)
    if args.sample is not None and not 0 < args.sample <= 1:
        parser.error("--sample takes a share between 0 and 1, e.g. 0.2")
    equiv = equivalent()
    chosen = None
    if args.sample is not None:
        if not statuses() and not args.no_run:
            # a fresh checkout: generate the mutants and map the tests, running none yet
            mutmut("run", "--max-children", str(args.max_children), "no.such.mutant")
        everything = statuses()
        chosen = saved_sample(args.sample, args.seed) or sample(everything, args.sample, args.seed, equiv)
        SAMPLE.parent.mkdir(parents=True, exist_ok=True)
        SAMPLE.write_text(f"# --sample {args.sample} --seed {args.seed}\n" + "\n".join(chosen) + "\n",
                          encoding="utf-8")
        todo = [name for name in chosen if everything.get(name) in NOT_RUN and name not in equiv]
        print(f"sample: {len(chosen)} of {len(everything)} mutants ({len(todo)} not run yet)")
        if args.rerun_alive:
            todo += [n for n in chosen if everything.get(n) not in KILLED | NOT_RUN and n not in equiv]
        if todo and not args.no_run:
            run = mutmut("run", "--max-children", str(args.max_children), *todo)
            if run.returncode not in (0, 1):
                print(f"mutmut run failed with exit code {run.returncode}", file=sys.stderr)
                return run.returncode
    elif not args.no_run:
        run = mutmut("run", "--max-children", str(args.max_children), *args.patterns)
        if run.returncode not in (0, 1):
            print(f"mutmut run failed with exit code {run.returncode}", file=sys.stderr)
            return run.returncode
    results = statuses()
    population = Counter(module_of(n) for n in results if n not in equiv)
    if chosen is not None:
        results = {name: results[name] for name in chosen if name in results}
    if args.patterns:
        wanted = [re.compile(p.replace(".", r"\.").replace("*", ".*")) for p in args.patterns]
        results = {k: v for k, v in results.items() if any(w.match(k) for w in wanted)}
    if not results:
        print("no mutation results yet: run without --no-run first", file=sys.stderr)
        return 1
    if all(status in NOT_RUN for status in results.values()):
        print("mutmut ran no mutant (see its output above: the clean test run must pass)", file=sys.stderr)
        return 1
    text, score = report(results, equiv)
    if chosen is not None:
        est = estimate(results, population, equiv)
        if est is not None:
            score, half = est
            line = (f"Estimated from a sample of {len(chosen)} of {sum(population.values())} non-equivalent "
                    f"mutants (--sample {args.sample}, --seed {args.seed}): {100 * score:.1f} % killed, "
                    f"95 % interval {100 * (score - half):.1f} to {100 * min(1.0, score + half):.1f} %.")
            text = text.replace("\n\nAlive", f"\n\n{line}\n\nAlive", 1)
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(text, encoding="utf-8")
    print(text.split("\nAlive")[0])
    kind = "estimated over the whole scope" if chosen is not None else "of non-equivalent mutants killed"
    print(f"mutation score: {'-' if score is None else f'{100 * score:.1f} %'} {kind}; report in {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
