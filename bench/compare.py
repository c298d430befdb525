"""Benchmark: the answer-language engine against the naive sympy baseline.

    python bench/compare.py [--timeout SECONDS] [--repeat N] [--baseline-repeat N]

A fixed mix of about 200 (reference, answer) pairs with ground-truth labels
(numbers, vectors, scalar expressions, matrix expressions; right, wrong and
malformed answers) is graded twice in the same run:

* ours: what ``grader grade`` does with one answer, timed in this process: the
  part's answer type reads the reference and the answer (parse, shape check, and
  the plain and LaTeX printing of how the answer was read), then compares them.
  Best of ``--repeat`` passes over the whole mix, each starting with empty caches
  and fresh answer types: within a pass a reference shared by several answers is
  parsed once and a family's answer type is built once (timed with its first
  answer), as in grading, where a part is loaded once for the whole class;
* baseline: ``sympy.simplify(parse_expr(ref) - parse_expr(ans)) == 0`` on Python
  spellings of the same texts, in a worker process killed after ``--timeout``
  seconds per pair (timed inside the worker, so start-up is not counted); best of
  ``--baseline-repeat`` passes per pair, each pass with sympy's cache cleared.

parse_expr runs only on the fixed strings below, never on anyone's answer.
Prints answers/second for both, the speed ratio, a per-category breakdown, our
worst-case time per pair, and every disagreement with the side that was right.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.answer_types.base import Context  # noqa: E402
from grader.answer_types.registry import ANSWER_TYPES  # noqa: E402
from grader.lang import AnswerError, clear_caches  # noqa: E402
from grader.lang.equivalence import MatVarSpec, VarSpec  # noqa: E402

EQUAL, DIFFERENT, INVALID = "equal", "different", "invalid"


@dataclass(frozen=True)
class Pair:
    category: str
    variables: dict          # name -> VarSpec | MatVarSpec
    ref: str                 # answer language
    ans: str
    truth: str               # EQUAL, DIFFERENT or INVALID
    ref_py: str              # the same texts spelled for parse_expr
    ans_py: str


def family(category, variables, ref, right=(), wrong=(), invalid=()):
    """Pairs sharing one reference. A text is either one string understood by both
    parsers, or (answer-language text, Python spelling)."""
    def spell(text):
        return text if isinstance(text, tuple) else (text, text)

    ref_ours, ref_py = spell(ref)
    out = []
    for truth, answers in ((EQUAL, right), (DIFFERENT, wrong), (INVALID, invalid)):
        for answer in answers:
            ours, py = spell(answer)
            out.append(Pair(category, variables, ref_ours, ours, truth, ref_py, py))
    return out


S = VarSpec()
POS = VarSpec((0.1, 3.0))
UNIT = VarSpec((0.05, 0.95))
MAT = {"A": MatVarSpec((3, 3)), "B": MatVarSpec((3, 3)), "x": MatVarSpec((3, 1))}
LSQ = {"X": MatVarSpec((5, 3)), "y": MatVarSpec((5, 1)), "w": MatVarSpec((3, 1)),
       "lam": POS}
SPD = {"S": MatVarSpec((3, 3), "spd")}


def mix() -> list[Pair]:
    pairs: list[Pair] = []
    add = pairs.extend
    # -- numbers ---------------------------------------------------------------------
    num = "number"
    add(family(num, {}, "3/4", right=["0.75", "6/8", "1 - 1/4"], wrong=["0.7", "3/5"],
               invalid=["3/", "0.75.1"]))
    add(family(num, {}, "1/10", right=["0.1", "10**-1"], wrong=["1/100", "0.10001"],
               invalid=["1/"]))
    add(family(num, {}, "exp(2)/(1 + exp(2))",
               right=["1/(1 + exp(-2))", "sigmoid(2)", ("σ(2)", "σ(2)")],
               wrong=["exp(2)/(1 - exp(2))", "0.8808", "exp(-2)/(1 + exp(-2))"],
               invalid=["exp(2)/(1 + exp(2)", "exp 2)"]))
    add(family(num, {}, "log(2)", right=["-log(1/2)", "log(4)/2", "ln(2)"],
               wrong=["log(2)/2", "log(3)"], invalid=["log(2"]))
    add(family(num, {}, "sqrt(8)", right=["2*sqrt(2)", "8**(1/2)", ("2√2", "2*sqrt(2)")],
               wrong=["4", "2*sqrt(3)"], invalid=["sqrt(8))"]))
    add(family(num, {}, "2**10", right=["1024", ("2^10", "2**10")], wrong=["1000", "20"]))
    add(family(num, {}, "exp(0) + 1/2", right=["3/2", "1.5"], wrong=["1/2"], invalid=["1,5"]))
    add(family(num, {}, "log(3)/2", right=["log(sqrt(3))", "0.5*log(3)"],
               wrong=["log(3)/3", "log(1.5)"]))
    add(family(num, {}, "1/6", right=["1/2 - 1/3", ("$\\frac{1}{6}$", "1/6")],
               wrong=["0.1667", "0.16"], invalid=["1//6x"]))
    # -- vectors and numeric matrices -------------------------------------------------
    vec = "vector"

    def v(ours):
        inner = ours.replace("[", "").replace("]", "")
        return ours, f"Matrix([{inner}])"

    add(family(vec, {}, v("[1/2, 3/4]"), right=[v("[0.5, 0.75]"), v("[2/4, 6/8]")],
               wrong=[v("[0.5, 0.7]"), v("[3/4, 1/2]")], invalid=[("[1/2, 3/4", "Matrix([1/2, 3/4")]))
    add(family(vec, {}, v("[1, 0, -1]"), right=[v("[1, 0, -1]"), v("[1, 0*5, -1]")],
               wrong=[v("[1, 0, 1]"), v("[-1, 0, 1]")], invalid=[("[1, 0,, -1]", "Matrix([1, 0,, -1])")]))
    add(family(vec, {}, v("[exp(1), exp(2)]"),
               right=[("[e, e^2]", "Matrix([E, E**2])"), v("[exp(1), exp(1)**2]")],
               wrong=[v("[exp(1), exp(3)]")]))
    add(family(vec, {}, v("[sigmoid(0), tanh(0), 1/10]"),
               right=[v("[0.5, 0, 0.1]"), v("[1/2, 0, 0.1]")], wrong=[v("[0.5, 1, 0.1]")]))
    mat2 = ("[[1, 2], [3, 4]]", "Matrix([[1, 2], [3, 4]])")
    add(family(vec, {}, mat2, right=[mat2, ("[[2, 4], [6, 8]]/2", "Matrix([[2, 4], [6, 8]])/2"),
                                     ("[1, 2; 3, 4]", "Matrix([[1, 2], [3, 4]])")],
               wrong=[("[[1, 3], [2, 4]]", "Matrix([[1, 3], [2, 4]])"),
                      ("[[1, 2], [3, 5]]", "Matrix([[1, 2], [3, 5]])")],
               invalid=[("[[1, 2], [3]]", "Matrix([[1, 2], [3]])")]))
    # -- scalar expressions -----------------------------------------------------------
    ex = "expression"
    add(family(ex, {"t": S}, "sigmoid(t)*(1 - sigmoid(t))",
               right=["sigmoid(t) - sigmoid(t)**2", "exp(-t)/(1 + exp(-t))**2",
                      "1/(2 + exp(t) + exp(-t))", ("σ(t)(1-σ(t))", "σ(t)*(1-σ(t))")],
               wrong=["sigmoid(t)**2", "sigmoid(t)*(1 + sigmoid(t))", "exp(-t)/(1 + exp(-t))"],
               invalid=["sigmoid(t)*(1 - sigmoid(t)", "sigmoid t)"]))
    add(family(ex, {"x": S}, "tanh(x)",
               right=["2*sigmoid(2*x) - 1", "(exp(x) - exp(-x))/(exp(x) + exp(-x))",
                      "(1 - exp(-2*x))/(1 + exp(-2*x))", ("2σ(2x) - 1", "2*σ(2*x) - 1")],
               wrong=["2*sigmoid(x) - 1", "(exp(x) - exp(-x))/2", "sigmoid(2*x)"],
               invalid=["tanh(x))"]))
    add(family(ex, {"x": S}, "1 - tanh(x)**2",
               right=["4*sigmoid(2*x)*(1 - sigmoid(2*x))", "4/(exp(x) + exp(-x))**2"],
               wrong=["1 - tanh(x)", "2*tanh(x)", "1 + tanh(x)**2"]))
    add(family(ex, {"t": S}, "log(1 + exp(t))",
               right=["t + log(1 + exp(-t))", "-log(sigmoid(-t))", "log(exp(t) + 1)"],
               wrong=["log(exp(t))", "log(1 + exp(-t))", "1 + t"], invalid=["log(1 + exp(t)"]))
    add(family(ex, {"x": S}, "x*(x + 1)*(x - 2)",
               right=["x**3 - x**2 - 2*x", "(x**2 + x)*(x - 2)", ("x(x+1)(x-2)", "x*(x+1)*(x-2)")],
               wrong=["x**3 - x**2 + 2*x", "x**3 - 2*x", "x*(x + 1)*(x + 2)"],
               invalid=["x*(x + 1)(x - 2", "x**"]))
    add(family(ex, {"a": S, "b": S}, "(a + b)**2",
               right=["a**2 + 2*a*b + b**2", "(b + a)*(a + b)", ("(a+b)²", "(a+b)**2")],
               wrong=["a**2 + b**2", "a**2 + a*b + b**2", "2*(a + b)"]))
    add(family(ex, {"x": S}, "exp(-x**2/2)/sqrt(2*pi)",
               right=["1/sqrt(2*pi)*exp(-x**2/2)", "exp(-x**2/2)/sqrt(2)/sqrt(pi)"],
               wrong=["exp(-x**2)/sqrt(2*pi)", "exp(-x**2/2)/(2*pi)", "exp(-x/2)/sqrt(2*pi)"]))
    add(family(ex, {"m": S, "s": POS}, "log(1/s) + (s**2 + m**2)/2 - 1/2",
               right=["-log(s) + (s**2 + m**2 - 1)/2", "(m**2 + s**2 - 1 - 2*log(s))/2"],
               wrong=["-log(s) + (s**2 + m**2)/2", "log(s) + (s**2 + m**2 - 1)/2"],
               invalid=["-log(s + (s**2 + m**2 - 1)/2"]))
    add(family(ex, {"n": VarSpec((1.0, 10.0)), "ybar": S, "lam": POS}, "n*ybar/(n + lam)",
               right=["ybar/(1 + lam/n)", "ybar*n/(lam + n)"],
               wrong=["n*ybar/(n - lam)", "ybar/(n + lam)"]))
    add(family(ex, {"p": UNIT, "w": S}, "p*(1 - p)*w**2", right=["w**2*p - w**2*p**2"],
               wrong=["p*w**2", "(1 - p)*w"], invalid=["p(1 - p w**2"]))
    add(family(ex, {"a": S, "b": S, "T": POS}, "exp(a/T)/(exp(a/T) + exp(b/T))",
               right=["1/(1 + exp((b - a)/T))", "sigmoid((a - b)/T)"],
               wrong=["exp(a*T)/(exp(a*T) + exp(b*T))", "1/(1 + exp((a - b)/T))"]))
    add(family(ex, {"x": S, "mu": S, "v": POS}, "-(x - mu)**2/(2*v) - log(2*pi*v)/2",
               right=["-((x - mu)**2/v + log(2*pi) + log(v))/2"],
               wrong=["-(x - mu)**2/(2*v) - log(2*pi*v)", "-(x - mu)**2/2/v + log(2*pi*v)/2"]))
    add(family(ex, {"w": S, "x": S, "y": UNIT}, "(sigmoid(w*x) - y)*x",
               right=["x*sigmoid(w*x) - x*y", "(1/(1 + exp(-w*x)) - y)*x"],
               wrong=["(sigmoid(w*x) - y)*w", "(y - sigmoid(w*x))*x"],
               invalid=["(sigmoid(w*x) - y)*"]))
    add(family(ex, {"x": S, "y": S}, "2*x*y", right=[("2xy", "2*x*y"), "x*y + y*x"],
               wrong=[("2x + y", "2*x + y")], invalid=["2*x*y)"]))
    add(family(ex, {"x": S}, "max(0, x)", right=["(x + abs(x))/2"],
               wrong=["abs(x)", "max(0, -x)"], invalid=["max(0 x)"]))
    add(family(ex, {"x": S, "y": S}, "sqrt(x**2 + y**2)",
               right=["(x**2 + y**2)**(1/2)", "sqrt(y**2 + x**2)"],
               wrong=["x + y", "sqrt(x**2 - y**2)", "x**2 + y**2"]))
    add(family(ex, {"x": S}, "x/(1 + x**2)",
               right=[("$\\frac{x}{1 + x^2}$", "x/(1 + x**2)"), ("x/(1+x²)", "x/(1+x**2)")],
               wrong=[("$\\frac{1}{1 + x^2}$", "1/(1 + x**2)")], invalid=["x/(1 + x**2"]))
    add(family(ex, {"p": UNIT, "x": S, "m1": S, "m2": S},
               "p*exp(-(x - m1)**2/2)/(p*exp(-(x - m1)**2/2) + (1 - p)*exp(-(x - m2)**2/2))",
               right=["1/(1 + (1 - p)/p*exp(((x - m1)**2 - (x - m2)**2)/2))"],
               wrong=["1/(1 + p/(1 - p)*exp(((x - m1)**2 - (x - m2)**2)/2))",
                      "p*exp(-(x - m1)**2/2)"]))
    add(family(ex, {"x": S}, "x", invalid=["x +", "exp(x", "2**", "log()", "x y z)", "(x"]))
    # -- matrix expressions -----------------------------------------------------------
    mx = "matrix-expression"
    add(family(mx, MAT, ("(A + A^T) x", "(A + A.T)*x"),
               right=[("A x + A^T x", "A*x + A.T*x"), ("A'x + Ax", "A.T*x + A*x")],
               wrong=[("2 A x", "2*A*x"), ("A^T x", "A.T*x")],
               invalid=[("(A + A^T x", "(A + A.T*x"), ("x^T (A + A^T)", "x.T*(A + A.T)")]))
    add(family(mx, MAT, ("inv(A B)", "(A*B)**-1"),
               right=[("inv(B) inv(A)", "B**-1*A**-1"), ("B^{-1} A^{-1}", "B**-1*A**-1")],
               wrong=[("inv(A) inv(B)", "A**-1*B**-1")]))
    add(family(mx, MAT, ("(A B)^T", "(A*B).T"), right=[("B^T A^T", "B.T*A.T")],
               wrong=[("A^T B^T", "A.T*B.T"), ("A B", "A*B")]))
    add(family(mx, MAT, ("det(A B)", "det(A*B)"), right=[("det(A) det(B)", "det(A)*det(B)")],
               wrong=[("det(A) + det(B)", "det(A) + det(B)")]))
    add(family(mx, MAT, ("tr(A B)", "tr(A*B)"), right=[("tr(B A)", "tr(B*A)")],
               wrong=[("tr(A) tr(B)", "tr(A)*tr(B)")]))
    add(family(mx, MAT, ("A + A^T", "A + A.T"), right=[("A^T + A", "A.T + A")],
               wrong=[("2A", "2*A")]))
    add(family(mx, MAT, ("x^T A x", "x.T*A*x"), right=[("tr(A x x^T)", "tr(A*x*x.T)")],
               wrong=[("x^T A^2 x", "x.T*A**2*x")]))
    add(family(mx, LSQ, ("(X^T X + lam I)^{-1} X^T y", "(X.T*X + lam*Identity(3))**-1*X.T*y"),
               right=[("inv(X'X + lam I) X' y", "(X.T*X + lam*Identity(3))**-1*X.T*y")],
               wrong=[("inv(X'X) X'y", "(X.T*X)**-1*X.T*y")],
               invalid=[("(X^T X + lam I)^{-1} X y", "(X.T*X + lam*Identity(3))**-1*X*y")]))
    add(family(mx, LSQ, ("2 X^T (X w - y)", "2*X.T*(X*w - y)"),
               right=[("2 X^T X w - 2 X^T y", "2*X.T*X*w - 2*X.T*y")],
               wrong=[("2 X^T (y - X w)", "2*X.T*(y - X*w)")]))
    add(family(mx, SPD, ("inv(S)", "S**-1"), right=[("inv(S)^T", "(S**-1).T")],
               wrong=[("S", "S")]))
    add(family(mx, MAT, ("sigmoid(A x) .* (1 - sigmoid(A x))",
                         "HadamardProduct(sigmoid(A*x), OneMatrix(3, 1) - sigmoid(A*x))"),
               right=[("exp(-A x) .* sigmoid(A x) .* sigmoid(A x)",
                       "HadamardProduct(exp(-A*x), sigmoid(A*x), sigmoid(A*x))")],
               wrong=[("sigmoid(A x)", "sigmoid(A*x)")]))
    # -- adversarial: answers that hide behind floating point (all wrong but two) -------
    adv = "adversarial"
    add(family(adv, {"t": S}, "sigmoid(t)*(1 - sigmoid(t))",
               right=["sigmoid(t)*(1 - sigmoid(t))*(10**20 + 1 - 10**20)"],
               wrong=["sin(10**20)", "10**20 - 10**20", "exp(30) - exp(30)",
                      "sigmoid(t)*(1 - sigmoid(t))*(exp(40) + 2 - exp(40))",
                      "sigmoid(t)*(1 - sigmoid(t))*(1 + sin(10**20))",
                      "sigmoid(t)*(1 - sigmoid(t))*(1 + 10**-9)"]))
    add(family(adv, {"t": S}, "2*t", right=["2*t + 10**16 - 10**16"],
               wrong=["t + 1e12 - 1e12", "t*(2 + 10**16 + 1 - 10**16)", "2*t + exp(40) + 1 - exp(40)"]))
    add(family(adv, {"t": S}, "exp(100)", wrong=["exp(100) + 1"]))
    add(family("adversarial-matrix", MAT, ("(A + A^T) x", "(A + A.T)*x"),
               wrong=[("x (10^20 - 10^20)", "x*(10**20 - 10**20)"),
                      ("(A + A^T) x (10^20 + 2 - 10^20)", "(A + A.T)*x*(10**20 + 2 - 10**20)"),
                      ("A x sin(10^20)", "A*x*sin(10**20)")]))
    return pairs


# ---------------------------------------------------------------------------------

KIND = {"number": "number", "vector": "matrix", "expression": "expression",
        "matrix-expression": "matrix-expression", "adversarial": "expression",
        "adversarial-matrix": "matrix-expression"}


def _answer_type(pair: Pair):
    """The grader's own answer type for the pair's category, as a problem file would declare it."""
    kind = KIND[pair.category]
    if kind == "expression":
        options = {"variables": {n: {"domain": list(s.domain), **({"equals": s.equals} if s.equals else {})}
                                 for n, s in pair.variables.items()}}
    elif kind == "matrix-expression":
        options = {"variables": {n: ({"shape": list(s.shape), "kind": s.kind} if isinstance(s, MatVarSpec)
                                     else {"shape": [], "domain": list(s.domain)})
                                 for n, s in pair.variables.items()}}
    else:
        # exact comparison, as the baseline's simplify(a - b) == 0 does
        options = {"tolerance": {"abs": 1e-12, "rel": 1e-12}}
    return ANSWER_TYPES[kind](options)


def ours(pair: Pair, types: dict | None = None) -> str:
    """What `grader grade` does with one answer: read both sides, then the type's comparison.

    ``types`` keeps one answer type per family, as grading keeps one per part; it is
    built (and timed) with the family's first answer."""
    key = (pair.category, id(pair.variables), pair.ref)
    answer_type = types.get(key) if types is not None else None
    if answer_type is None:
        answer_type = _answer_type(pair)
        if types is not None:
            types[key] = answer_type
    ctx = Context(params={})
    try:
        ref = answer_type.read_reference(pair.ref, ctx)
        ctx = Context(params={}, reference=ref)
        comparison = answer_type.compare(ref, answer_type.read(pair.ans, ctx), ctx)
    except AnswerError:
        return INVALID
    if comparison.score is None:
        return "undecided"
    return EQUAL if comparison.score >= 1 else DIFFERENT


def time_ours(pairs: list[Pair], repeat: int) -> list[tuple[str, float]]:
    """Best of ``repeat`` passes over the whole mix, each starting with empty caches
    and fresh answer types: within a pass a reference shared by several answers is
    parsed once, and a family's answer type built once, as in grading."""
    for pair in pairs:                       # warm-up: the Lark parser, numpy
        ours(pair)
    best = [float("inf")] * len(pairs)
    verdicts = [""] * len(pairs)
    for _ in range(repeat):
        clear_caches()
        types: dict = {}
        for i, pair in enumerate(pairs):
            started = time.perf_counter()
            verdicts[i] = ours(pair, types)
            best[i] = min(best[i], time.perf_counter() - started)
    return list(zip(verdicts, best))


def baseline_one(pair: Pair, sympy, parse_expr) -> str:
    env = {"sigmoid": lambda z: _sigmoid(sympy, z), "σ": lambda z: _sigmoid(sympy, z),
           "inv": lambda m: m ** -1, "det": sympy.det, "tr": sympy.trace, "E": sympy.E,
           "Matrix": sympy.Matrix, "Identity": sympy.Identity, "OneMatrix": sympy.OneMatrix,
           "HadamardProduct": sympy.HadamardProduct}
    for name, spec in pair.variables.items():
        env[name] = (sympy.MatrixSymbol(name, *spec.shape) if isinstance(spec, MatVarSpec)
                     else sympy.Symbol(name))
    try:
        a = parse_expr(pair.ref_py, local_dict=dict(env))
        b = parse_expr(pair.ans_py, local_dict=dict(env))
        difference = sympy.simplify(a - b)
    except Exception:           # any failure to read or subtract counts as unreadable
        return INVALID
    if getattr(difference, "is_ZeroMatrix", False) or difference == 0:
        return EQUAL
    if isinstance(difference, sympy.MatrixBase):
        return EQUAL if all(entry == 0 for entry in difference) else DIFFERENT
    return DIFFERENT


def _sigmoid(sympy, z):
    if isinstance(z, sympy.MatrixExpr):
        raise TypeError("sigmoid of a symbolic matrix")
    return 1 / (1 + sympy.exp(-z))


def _baseline_worker(conn) -> None:
    import sympy
    from sympy.core.cache import clear_cache
    from sympy.parsing.sympy_parser import parse_expr

    pairs = mix()
    conn.send("ready")
    while (index := conn.recv()) is not None:
        if index == "new pass":
            clear_cache()               # each pass starts cold, as ours does
            continue
        started = time.perf_counter()
        verdict = baseline_one(pairs[index], sympy, parse_expr)
        conn.send((verdict, time.perf_counter() - started))


def time_baseline(pairs: list[Pair], timeout: float, repeat: int) -> list[tuple[str, float]]:
    """Best of ``repeat`` passes, each with sympy's cache cleared: the statistic ours
    gets. A pair that timed out is not run again."""
    ctx = multiprocessing.get_context("spawn")
    results: list[tuple[str, float]] = [("", float("inf"))] * len(pairs)
    worker = conn = None
    for done in range(repeat):
        if worker is not None:
            conn.send("new pass")
        for index in range(len(pairs)):
            if results[index][0] == "timeout":
                continue
            if worker is None:
                conn, child = ctx.Pipe()
                worker = ctx.Process(target=_baseline_worker, args=(child,), daemon=True)
                worker.start()
                conn.recv()                                  # "ready": start-up is not timed
            conn.send(index)
            if conn.poll(timeout):
                verdict, seconds = conn.recv()
                results[index] = (verdict, min(seconds, results[index][1]))
            else:
                results[index] = ("timeout", timeout)
                worker.kill()
                worker.join()
                worker = None
            print(f"\rbaseline: pass {done + 1}/{repeat}, {index + 1}/{len(pairs)}", end="",
                  file=sys.stderr, flush=True)
    print(file=sys.stderr)
    if worker is not None:
        conn.send(None)
        worker.join()
    return results


# ---------------------------------------------------------------------------------

def report(pairs, mine, theirs) -> None:
    total_ours = sum(t for _, t in mine)
    total_base = sum(t for _, t in theirs)
    print(f"{len(pairs)} pairs\n")
    header = (f"{'category':<18} {'pairs':>5} {'ours ans/s':>11} {'sympy ans/s':>12} "
              f"{'ratio':>8} {'ours right':>11} {'sympy right':>12}")
    print(header)
    print("-" * len(header))
    categories = sorted({p.category for p in pairs}, key=[p.category for p in pairs].index)
    for category in categories + ["all"]:
        rows = [i for i, p in enumerate(pairs) if category in ("all", p.category)]
        t_ours = sum(mine[i][1] for i in rows)
        t_base = sum(theirs[i][1] for i in rows)
        right_ours = sum(mine[i][0] == pairs[i].truth for i in rows)
        right_base = sum(theirs[i][0] == pairs[i].truth for i in rows)
        if category == "all":
            print("-" * len(header))
        print(f"{category:<18} {len(rows):>5} {len(rows) / t_ours:>11.0f} "
              f"{len(rows) / t_base:>12.1f} {t_base / t_ours:>7.0f}x "
              f"{right_ours:>6}/{len(rows):<4} {right_base:>7}/{len(rows):<4}")
    worst = max(range(len(pairs)), key=lambda i: mine[i][1])
    print(f"\nours:     {len(pairs) / total_ours:.0f} answers/s, mean "
          f"{1e3 * total_ours / len(pairs):.3f} ms, worst case {1e3 * mine[worst][1]:.2f} ms "
          f"({pairs[worst].category}: {pairs[worst].ans!r})")
    timeouts = sum(v == "timeout" for v, _ in theirs)
    print(f"baseline: {len(pairs) / total_base:.1f} answers/s, mean "
          f"{1e3 * total_base / len(pairs):.1f} ms, {timeouts} timeouts")
    print(f"speed-up: {total_base / total_ours:.0f}x")
    undecided = sum(v == "undecided" for v, _ in mine)
    print(f"ours undecided (sympy fallback over budget): {undecided}")

    disagreements = [i for i in range(len(pairs)) if mine[i][0] != theirs[i][0]]
    print(f"\n{len(disagreements)} disagreements (truth = ground-truth label)")
    if disagreements:
        print(f"{'category':<18} {'reference':<32} {'answer':<34} {'truth':<9} {'ours':<9} "
              f"{'sympy':<9} right")
        for i in disagreements:
            p = pairs[i]
            right = [who for who, verdict in (("ours", mine[i][0]), ("sympy", theirs[i][0]))
                     if verdict == p.truth]
            print(f"{p.category:<18} {_cut(p.ref, 32):<32} {_cut(p.ans, 34):<34} {p.truth:<9} "
                  f"{mine[i][0]:<9} {theirs[i][0]:<9} {' and '.join(right) or 'neither'}")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cli.add_argument("--timeout", type=float, default=5.0,
                     help="seconds per pair for the sympy baseline (default 5)")
    cli.add_argument("--repeat", type=int, default=5,
                     help="passes over the mix for our engine; the best time per pair is "
                          "kept (default 5)")
    cli.add_argument("--baseline-repeat", type=int, default=3,
                     help="passes for the sympy baseline, also best per pair (default 3)")
    args = cli.parse_args()
    pairs = mix()
    mine = time_ours(pairs, args.repeat)
    theirs = time_baseline(pairs, args.timeout, args.baseline_repeat)
    report(pairs, mine, theirs)


if __name__ == "__main__":
    main()
