"""Benchmark: grading a whole class, against a naive grader on the same batch.

    python bench/batch.py                      # 1000 students, sets/demo.yaml, all cores
    python bench/batch.py --students 200 --baseline-sample 50

1. Synthesizes a class for a full set: one answer file per student, mixing answers
   copied from the key, correct answers written another way (rounded decimals, LaTeX,
   expanded forms), typical mistakes (each part's misconceptions), half-finished sheets,
   syntax slips and wrong shapes, and whole files that cannot be read (bad YAML, binary,
   another set, a list, too large), plus enrolled students who submit nothing.
2. Grades it with ``grader grade`` (a fresh process, so its memory is its own) and
   prints students per second, the verdict cache's hit rate and peak memory (resident
   set of the main process and of the largest worker); then again on one worker, and on
   a quarter of the batch (``--shard 1/4``) to show memory does not grow with it.
3. Grades the same files with a naive baseline in the same run: one process, no
   cache, every answer compared by ``sympy.parse_expr`` and ``simplify(ref - answer)
   == 0`` (elementwise for lists), and every misconception tried the same way when the
   answer is wrong. It reads only the strings this script wrote, never student input.
   With ``--baseline-sample K`` it grades the first K students and the ratio is taken
   per student.

Targets: the whole 1000-student batch graded in under a minute on 2 cores.

    python bench/batch.py --scale 10000 [--against main] [--workers 2]

``--scale N`` measures the class-size behaviour instead: one synthesized class of N
students graded by this code and by the code of a git revision (``--against``, default
``main``: the baseline), then ``grader render`` for 100 and for N students by both,
printing wall time and peak memory (resident set) of each. Targets: N = 10 000 graded
in under 40 s on 2 workers, and render's memory flat from 100 to N students.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.bank.loader import load_set                     # noqa: E402
from grader.grading.batch import read_stats                # noqa: E402
from grader.render.sheets import student_variants           # noqa: E402

SECRET = b"bench-secret: public, for the benchmark only"

# persona -> share of the class
PERSONAS = [("key", 0.30), ("rewritten", 0.20), ("mistakes", 0.25), ("half", 0.08),
            ("sloppy", 0.07), ("bad-file", 0.05), ("absent", 0.05)]
SLIPS = ["(1 + ", "2 ** ** 3", "sqrt(", [[1, 2], [3]], {"oops": 1}, "1,2;3", "[1, 2", "x +* y"]


def persona_of(rng: random.Random) -> str:
    x, acc = rng.random(), 0.0
    for name, share in PERSONAS:
        acc += share
        if x < acc:
            return name
    return PERSONAS[-1][0]


def _answers(pset, student: str, persona: str, rng: random.Random) -> dict:
    answers: dict = {}
    for entry, variant in student_variants(pset, SECRET, student):
        parts = {}
        for part in entry.problem.parts:
            written = part.answer.key_value(variant.answers[part.id])
            if persona == "key":
                value = written
            elif persona == "rewritten":
                forms = part.answer.rewrites(written)
                value = rng.choice(forms) if forms else written
            elif persona == "mistakes":
                bugs = [m.bug for m in part.misconceptions]
                if bugs and rng.random() < 0.7:
                    wrong = variant.solve(bug=rng.choice(bugs)).get(part.id)
                    value = part.answer.key_value(wrong) if wrong is not None else written
                else:
                    value = written if rng.random() < 0.5 else None
            elif persona == "half":
                value = written if rng.random() < 0.5 else None
            else:   # sloppy
                value = rng.choice(SLIPS) if rng.random() < 0.4 else written
            if value is not None:
                parts[part.id] = value
        answers[entry.key] = parts
    return answers


def _bad_file(path: Path, student: str, set_id: str, kind: int) -> None:
    if kind == 0:
        path.write_text(f"student: {student}\nset: {set_id}\nanswers:\n  q1: [unclosed\n", encoding="utf-8")
    elif kind == 1:
        path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00 not an answer file")
    elif kind == 2:
        path.write_text(yaml.safe_dump({"student": student, "set": "another-set", "answers": {}}), encoding="utf-8")
    elif kind == 3:
        path.write_text("- just\n- a list\n", encoding="utf-8")
    else:
        path.write_text(f"student: {student}\nset: {set_id}\nanswers:\n  q1:\n    x: '{'9' * 300_000}'\n",
                        encoding="utf-8")


def _synth_one(args) -> str:
    set_file, folder, student = args
    pset = _synth_one.pset if getattr(_synth_one, "file", None) == set_file else None
    if pset is None:
        pset = load_set(set_file)
        _synth_one.pset, _synth_one.file = pset, set_file
    rng = random.Random(f"bench:{student}")
    persona = persona_of(rng)
    path = Path(folder) / f"{student}.yaml"
    if persona == "absent":
        return persona
    if persona == "bad-file":
        _bad_file(path, student, pset.id, rng.randrange(5))
        return persona
    doc = {"student": student, "set": pset.id, "answers": _answers(pset, student, persona, rng)}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return persona


def synthesize(set_file: str, folder: Path, students: list[str], workers: int) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(set_file, str(folder), s) for s in students]
    if workers > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            personas = pool.map(_synth_one, jobs, chunksize=16)
    else:
        personas = [_synth_one(j) for j in jobs]
    counts: dict = {}
    for p in personas:
        counts[p] = counts.get(p, 0) + 1
    return counts


# ---------------------------------------------------------------------------------
# The naive baseline (trusted, benchmark-made strings only).

def _naive_parse(text):
    from sympy.parsing.sympy_parser import (convert_xor, implicit_multiplication_application, parse_expr,
                                            standard_transformations)
    transforms = standard_transformations + (implicit_multiplication_application, convert_xor)
    return parse_expr(str(text), transformations=transforms)


def _naive_equal(ref, ans) -> bool:
    import sympy
    if isinstance(ref, dict) or isinstance(ans, dict):
        return isinstance(ref, dict) and isinstance(ans, dict) and ref.keys() == ans.keys() and \
            all(_naive_equal(ref[k], ans[k]) for k in ref)
    if isinstance(ref, (list, tuple)) or isinstance(ans, (list, tuple)):
        return isinstance(ref, (list, tuple)) and isinstance(ans, (list, tuple)) and len(ref) == len(ans) and \
            all(_naive_equal(r, a) for r, a in zip(ref, ans))
    try:
        difference = sympy.simplify(_naive_parse(ref) - _naive_parse(ans))
        if difference == 0:
            return True
        value = complex(difference.evalf())
        return abs(value) <= 5e-3 * max(1.0, abs(complex(_naive_parse(ref).evalf())))
    except Exception:  # noqa: BLE001 -- the baseline treats anything unparsable as wrong
        return False


def naive_grade(pset, folder: Path, students: list[str]) -> tuple[int, int]:
    """Correct part count and part count, grading like a first-week script would."""
    correct = total = 0
    for student in students:
        path = folder / f"{student}.yaml"
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
        except Exception:  # noqa: BLE001
            doc = None
        answers = (doc or {}).get("answers") if isinstance(doc, dict) else None
        answers = answers if isinstance(answers, dict) else {}
        for entry, variant in student_variants(pset, SECRET, student):
            given = answers.get(entry.key) if isinstance(answers.get(entry.key), dict) else {}
            for part in entry.problem.parts:
                total += 1
                raw = given.get(part.id)
                if raw is None:
                    continue
                ref = part.answer.key_value(variant.answers[part.id])
                if _naive_equal(ref, raw):
                    correct += 1
                    continue
                for m in part.misconceptions:      # feedback: which mistake was it?
                    wrong = variant.solve(bug=m.bug).get(part.id)
                    if wrong is not None and _naive_equal(part.answer.key_value(wrong), raw):
                        break
    return correct, total


# ---------------------------------------------------------------------------------

def grade_cli(set_file: str, subs: Path, roster: Path, out: Path, workers: int, shard: str | None) -> dict:
    """`grader grade` in a fresh process (its memory is its own); wall time, summary, stats."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "grader", "grade", set_file, "--submissions", str(subs), "--out", str(out),
           "--roster", str(roster), "--workers", str(workers), "--quiet"] + (["--shard", shard] if shard else [])
    env = dict(os.environ, GRADER_SECRET=SECRET.decode(), PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "summary": json.loads((out / "summary.json").read_text()), "stats": read_stats(out)}


def _run_measured(cmd: list[str], cwd: Path, env: dict) -> tuple[float, float, float]:
    """Wall seconds, peak resident set (MB) and CPU seconds of the process with the workers it
    waited for (Linux's wait4 figures); CPU time is the figure a busy machine distorts least."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def _code_at(rev: str, dest: Path) -> tuple[Path, str]:
    """The repository's files at ``rev`` (git archive), and the commit it names."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], check=True,
                            capture_output=True, text=True).stdout.strip()
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest, commit


def _synthesize_with(code: Path, set_file: str, folder: Path, n: int, workers: int) -> None:
    """The same class (students, personas, RNG) synthesized by the code at ``code``."""
    set_path = code / Path(set_file).resolve().relative_to(ROOT)
    script = ("import sys; from pathlib import Path; sys.path[:0] = [sys.argv[1], sys.argv[1] + '/bench']; "
              "import batch; batch.synthesize(sys.argv[2], Path(sys.argv[3]), "
              "[f's{i:05d}' for i in range(1, int(sys.argv[4]) + 1)], int(sys.argv[5]))")
    subprocess.run([sys.executable, "-c", script, str(code), str(set_path), str(folder), str(n), str(workers)],
                   cwd=code, check=True, env=dict(os.environ, PYTHONPATH=str(code)))


def scale(args, work: Path) -> int:
    """This code against a baseline revision on one class of ``args.scale`` students."""
    n = args.scale
    students = [f"s{i:05d}" for i in range(1, n + 1)]
    subs = work / "submissions"
    done = work / f".synthesized-{n}"      # with --out, a later run reuses the classes
    t0 = time.perf_counter()
    if not done.exists():
        personas = synthesize(args.set, subs, students, args.workers)
        print(f"{n} students synthesized in {time.perf_counter() - t0:.1f} s: "
              + ", ".join(f"{k} {v}" for k, v in sorted(personas.items(), key=lambda kv: -kv[1])))
    small, large = (int(x) for x in args.render_sizes.split(",")) if args.render_sizes else (100, n)
    for size in {small, large, n}:
        with (work / f"roster{size}.csv").open("w", newline="") as fh:
            fh.write("student_id\n" + "\n".join(students[:size]) + "\n")
    base_root, commit = _code_at(args.against, work / "baseline-code")
    set_rel = Path(args.set).resolve().relative_to(ROOT)
    # The baseline grades the same personas written for ITS variants: a revision that draws
    # other variants would otherwise see every copied key as a wrong answer and try every
    # misconception on it, which is slower for reasons that are not the code's speed.
    base_subs = work / "submissions-baseline"
    if not done.exists():
        _synthesize_with(base_root, args.set, base_subs, n, args.workers)
        done.write_text(commit + "\n")
    elif done.read_text().strip() != commit:
        raise SystemExit(f"{work} holds classes synthesized for {done.read_text().strip()}, not {commit}")
    rows = {}
    for label, code, folder in ((f"baseline {commit}", base_root, base_subs), ("this code", ROOT, subs)):
        env = dict(os.environ, GRADER_SECRET=SECRET.decode(), PYTHONPATH=str(code))
        set_file = str(code / set_rel)
        out = work / f"out-{code.name}"
        shutil.rmtree(out, ignore_errors=True)
        grade_s, grade_mb, grade_cpu = _run_measured(
            [sys.executable, "-m", "grader", "grade", set_file, "--submissions", str(folder), "--out", str(out),
             "--roster", str(work / f"roster{n}.csv"), "--workers", str(args.workers), "--quiet"], code, env)
        worker_mb = read_stats(out).get("peak_rss_mb", {}).get("worker_max", float("nan"))
        out_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
        renders = {}
        for size in (small, large):
            rout = work / f"render-{code.name}-{size}"
            shutil.rmtree(rout, ignore_errors=True)
            renders[size] = _run_measured([sys.executable, "-m", "grader", "render", set_file, "--roster",
                                           str(work / f"roster{size}.csv"), "--out", str(rout)], code, env)
            shutil.rmtree(rout, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        rows[label] = (grade_s, grade_mb, worker_mb, out_mb, renders, grade_cpu)
        print(f"  {label}: graded in {grade_s:.1f} s", flush=True)
    labels = list(rows)
    print(f"\n== {n} students, {args.workers} workers: this code against {labels[0]} ==")
    print(f"{'':34}" + "".join(f"{lab:>22}" for lab in labels))
    fmt = [("grade: wall time", lambda r: f"{r[0]:.1f} s"),
           ("grade: CPU time, all processes", lambda r: f"{r[5]:.1f} s"),
           ("grade: students per second", lambda r: f"{n / r[0]:.0f}"),
           ("grade: peak memory, any process", lambda r: f"{r[1]:.0f} MB"),
           ("grade: peak memory, largest worker", lambda r: f"{r[2]:.0f} MB"),
           ("grade: output size", lambda r: f"{r[3]:.0f} MB"),
           (f"render {small}: wall time, memory", lambda r: f"{r[4][small][0]:.1f} s, {r[4][small][1]:.0f} MB"),
           (f"render {large}: wall time, memory", lambda r: f"{r[4][large][0]:.1f} s, {r[4][large][1]:.0f} MB")]
    for name, cell in fmt:
        print(f"{name:34}" + "".join(f"{cell(rows[lab]):>22}" for lab in labels))
    ours, base = rows["this code"], rows[labels[0]]
    print(f"ratio against {labels[0]}: {base[0] / ours[0]:.2f}x faster in wall time, "
          f"{base[5] / ours[5]:.2f}x less CPU time")
    print(f"target grade         {'met' if ours[0] < 40 else 'MISSED'}: {n} students in {ours[0]:.1f} s "
          f"(< 40 s on {args.workers} workers)")
    growth = ours[4][large][1] / ours[4][small][1]
    print(f"target render memory {'met' if growth < 1.5 else 'MISSED'}: {ours[4][large][1]:.0f} MB for {large} "
          f"students against {ours[4][small][1]:.0f} MB for {small} (x{growth:.2f})")
    print(f"machine load         {os.getloadavg()[0]:.1f} (1-minute average) on {os.cpu_count()} cores")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=1000)
    ap.add_argument("--set", default=str(ROOT / "sets" / "demo.yaml"))
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--baseline-sample", type=int, default=None,
                    help="grade only the first K students with the baseline (default: all)")
    ap.add_argument("--out", help="work folder (default: a temporary one, removed afterwards)")
    ap.add_argument("--scale", type=int, metavar="N",
                    help="class-size run: N students, this code against --against (see the docstring)")
    ap.add_argument("--against", default="main", help="baseline git revision for --scale (default: main)")
    ap.add_argument("--render-sizes", metavar="A,B", help="rosters rendered for --scale (default: 100,N)")
    args = ap.parse_args(argv)

    work = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench-batch-"))
    if args.scale:
        try:
            return scale(args, work)
        finally:
            if not args.out:
                shutil.rmtree(work, ignore_errors=True)
    try:
        pset = load_set(args.set)
        students = [f"s{i:05d}" for i in range(1, args.students + 1)]
        subs = work / "submissions"
        shutil.rmtree(subs, ignore_errors=True)
        print(f"set {pset.id}: {len(pset.entries)} problems, "
              f"{sum(len(e.problem.parts) for e in pset.entries)} parts; {len(students)} students; "
              f"{args.workers} workers on {os.cpu_count()} cores")
        t0 = time.perf_counter()
        personas = synthesize(args.set, subs, students, args.workers)
        print(f"synthesized in {time.perf_counter() - t0:.1f} s: "
              + ", ".join(f"{k} {v}" for k, v in sorted(personas.items(), key=lambda kv: -kv[1])))
        with (work / "roster.csv").open("w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["student_id"])
            w.writerows([s] for s in students)

        runs = {}
        for name, workers, shard in (("main", args.workers, None), ("one worker", 1, None),
                                     ("a quarter", args.workers, "1/4")):
            runs[name] = grade_cli(args.set, subs, work / "roster.csv", work / name.replace(" ", "-"),
                                   workers, shard)
        main_run = runs["main"]
        summary, stats, ours = main_run["summary"], main_run["stats"], main_run["seconds"]
        cache = stats["verdict_cache"]
        rss = stats["peak_rss_mb"]
        right = sum(p["verdicts"].get("correct", 0) for p in summary["parts"].values())
        print(f"\n== grader grade ({args.workers} workers, cached, streaming) ==")
        print(f"students graded      {summary['submissions']}")
        print(f"wall time            {ours:.2f} s for the command (grading {stats['grading_seconds']:.2f} s, "
              f"reports {stats['seconds'] - stats['grading_seconds']:.2f} s, the rest start-up)")
        print(f"students per second  {summary['submissions'] / ours:.1f}")
        print(f"verdict cache        {100 * cache['hit_rate']:.1f}% hits "
              f"({cache['hits']} of {cache['lookups']} comparisons)")
        print(f"peak memory          main {rss['main']:.0f} MB, largest worker {rss['worker_max']:.0f} MB "
              f"(resident set)")
        quarter = runs["a quarter"]
        print(f"  ... a quarter      main {quarter['stats']['peak_rss_mb']['main']:.0f} MB, largest worker "
              f"{quarter['stats']['peak_rss_mb']['worker_max']:.0f} MB for "
              f"{quarter['summary']['submissions']} students (flat: results are streamed)")
        one = runs["one worker"]
        print(f"one worker           {one['seconds']:.2f} s, {summary['submissions'] / one['seconds']:.1f} students/s, "
              f"cache {100 * one['stats']['verdict_cache']['hit_rate']:.1f}% hits")
        n_parts = summary["submissions"] * sum(len(e.problem.parts) for e in pset.entries)
        print(f"parts marked right   {right} of {n_parts}; "
              f"mean score {summary['mean_score']:g} / {summary['max']:g}; "
              f"{summary['review']['total']} answers for review")
        print(f"target               {'met' if ours < 60 else 'MISSED'}: "
              f"{len(students)} students in {ours:.1f} s (< 60 s on {args.workers} workers)")

        sample = students[: args.baseline_sample] if args.baseline_sample else students
        t0 = time.perf_counter()
        correct, total = naive_grade(pset, subs, sample)
        naive = time.perf_counter() - t0
        per_ours = ours / len(students)
        per_naive = naive / len(sample)
        print("\n== naive baseline (1 process, no cache, sympy simplify) ==")
        print(f"students graded      {len(sample)}" + (" (sample)" if len(sample) < len(students) else ""))
        print(f"wall time            {naive:.2f} s")
        print(f"students per second  {len(sample) / naive:.2f}")
        print(f"parts it marks right {correct} of {total}")
        per_one = one["seconds"] / len(students)
        print(f"\nspeed-up             {per_naive / per_ours:.1f}x per student with {args.workers} workers "
              f"({1000 * per_naive:.0f} ms vs {1000 * per_ours:.1f} ms), "
              f"{per_naive / per_one:.1f}x on one worker ({1000 * per_one:.1f} ms)")
        print(f"baseline peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
              "(this process)")
    finally:
        if not args.out:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
