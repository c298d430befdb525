"""Is a student's expression equal to the reference? An ordered chain of checks.

0. Two constant expressions are compared exactly or at high precision
   (``precise.settle_point``), never by their rounded floats (check ``"exact"``).
1. Sampling: both sides are evaluated with numpy at random points of each
   variable's domain (deterministic from ``seed``), all points in one vectorised
   pass, each value with a bound on the size of the terms behind it. The tolerance
   at a point comes from the reference alone (its value and its own rounding bound);
   the answer's bound only says how far its float can be trusted. A point where the
   answer is off by more than tolerance and noise decides ``False``; agreement at
   enough usable points decides ``True``; points the floats cannot settle (huge or
   cancelling terms, ``sin(10^20)``, overflow) are settled in ``precise``, which
   never accepts more than exact arithmetic would.
2. Only when too few points are usable, or ``precise`` cannot settle a point:
   sympy's ``simplify(a - b) == 0`` in a long-lived worker process (``sympy_worker``)
   that is killed and restarted when ``budget_s`` (or the current file's deadline)
   runs out (``None``, "timeout").

Both sides must have the same shape; a scalar and a 1×1 matrix count as the same.
An answer-side problem (unknown name, bad shape) raises ``AnswerError``; a problem
with the reference or the variable declarations raises ``ValueError``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from . import precise
from . import tree as t
from .errors import DEFAULT_LIMITS, AnswerError
from .evaluate import BatchEvaluator
from .memo import IdentityMemo
from .parser import parse
from .shapes import describe, normalize_shape, with_sizes

KINDS = ("general", "symmetric", "spd", "invertible", "diagonal")
POINTS = 16                 # first batch of sample points
EXTRA_POINTS = 256          # second batch, when too few of the first were usable
MIN_USABLE = 8
RTOL = 1e-10               # relative to the reference's value
ROUNDING = 1e-11            # times the magnitude of the terms (cancellation noise)
NOISE_PER_STEP = 1e-15      # the answer's float error per operation, times its magnitude
                            # bound (see _noise)
MAX_PRECISE_POINTS = 32     # points one comparison may settle at high precision
MAX_CONDITION = 1e4         # square matrix samples are redrawn above this


@dataclass(frozen=True)
class VarSpec:
    """A scalar variable: sampled uniformly from ``domain``, or computed from others.

    ``equals`` (answer-language text over other variables, e.g. ``"sigmoid(t)"``)
    makes a variable stand for an expression: ``s`` for ``sigma(t)``, so that
    ``s*(1 - s)`` and ``sigma(t)*(1 - sigma(t))`` compare equal.
    """

    domain: tuple[float, float] = (-2.0, 2.0)
    equals: str | None = None


@dataclass(frozen=True)
class MatVarSpec:
    """A matrix variable of a given shape; ``kind`` keeps ``inv``/``det``/``log det`` defined."""

    shape: tuple[int, int]
    kind: str = "general"
    domain: tuple[float, float] = (-2.0, 2.0)     # range of the random entries


class Outcome:
    """A verdict (``equal`` is None when undecided), the check that gave it, and a
    detail for people. Graders read only the first two, so a detail that takes
    formatting (the sample point where two formulas differ) is written when read."""

    __slots__ = ("equal", "check", "_detail")

    def __init__(self, equal: bool | None, check: str, detail: str | Callable[[], str] = ""):
        self.equal = equal                # None: undecided
        self.check = check                # "sampling", "sympy" or "timeout"
        self._detail = detail

    @property
    def detail(self) -> str:
        if callable(self._detail):
            self._detail = self._detail()
        return self._detail

    def __eq__(self, other) -> bool:
        return isinstance(other, Outcome) and \
            (self.equal, self.check, self.detail) == (other.equal, other.check, other.detail)

    __hash__ = None                       # mutable only to memoise the detail

    def __repr__(self) -> str:
        return f"Outcome({self.equal!r}, {self.check!r}, {self.detail!r})"


def compare_scalar(ref: t.Node, ans: t.Node, variables: Mapping[str, object] | Declarations, *,
                   budget_s: float = DEFAULT_LIMITS.time_budget_s, seed: int = 0) -> Outcome:
    """Compare two scalar expressions; see the module docstring for the checks.

    ``variables`` maps names to specs (``VarSpec``, ``MatVarSpec`` or YAML-style
    dicts); callers that compare many answers pass a ``Declarations`` built once."""
    return _compare(ref, ans, _declared(variables), budget_s, seed, scalar=True)


def compare_matrix(ref: t.Node, ans: t.Node, variables: Mapping[str, object] | Declarations, *,
                   budget_s: float = DEFAULT_LIMITS.time_budget_s, seed: int = 0) -> Outcome:
    """Compare two matrix (or scalar) expressions over scalar and matrix variables."""
    return _compare(ref, ans, _declared(variables), budget_s, seed, scalar=False)


# ---------------------------------------------------------------------------------
# Variable declarations.

class Declarations:
    """Variable declarations checked and frozen once: an answer type builds one per
    part, so that comparing an answer neither re-checks nor re-hashes them (they key
    the memoised sample points)."""

    __slots__ = ("specs", "names", "key", "_hash")

    def __init__(self, variables: Mapping[str, object]):
        self.specs = _specs(variables)
        self.names = _names(self.specs)
        self.key = tuple(sorted(self.specs.items()))
        self._hash = hash(self.key)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other) -> bool:
        return isinstance(other, Declarations) and self.key == other.key


def _declared(variables) -> Declarations:
    return variables if isinstance(variables, Declarations) else Declarations(variables)


def clear_cache() -> None:
    """Forget memoised sample points and values (benchmarks time cold comparisons with this)."""
    _environment.cache_clear()
    _seed_sequence.cache_clear()
    _REFERENCE_VALUES.clear()
    precise.clear_cache()


def _specs(variables: Mapping[str, object]) -> dict[str, VarSpec | MatVarSpec]:
    """Specs from spec objects or from YAML-style dicts ({domain}, {shape, kind})."""
    out: dict[str, VarSpec | MatVarSpec] = {}
    for name, spec in variables.items():
        if isinstance(spec, (VarSpec, MatVarSpec)):
            out[name] = spec
            continue
        spec = dict(spec or {})
        domain = tuple(float(v) for v in spec.get("domain", (-2.0, 2.0)))
        shape = normalize_shape(spec.get("shape", ()))
        if shape:
            out[name] = MatVarSpec(shape, spec.get("kind", "general"), domain)
        else:
            out[name] = VarSpec(domain, spec.get("equals"))
    for name, spec in out.items():
        lo, hi = spec.domain
        if not lo < hi:
            raise ValueError(f"variable '{name}': the domain must be [low, high] with "
                             f"low < high, got {list(spec.domain)}")
        if isinstance(spec, MatVarSpec):
            normalize_shape(spec.shape)
            if spec.kind not in KINDS:
                raise ValueError(f"variable '{name}': unknown kind '{spec.kind}' "
                                 f"(expected one of {', '.join(KINDS)})")
            if spec.kind != "general" and spec.shape[0] != spec.shape[1]:
                raise ValueError(f"variable '{name}': a {spec.kind} matrix must be square, "
                                 f"got shape {spec.shape}")
    return out


def _names(specs: Mapping[str, VarSpec | MatVarSpec]) -> t.Names:
    return t.Names({name: spec.shape if isinstance(spec, MatVarSpec) else ()
                    for name, spec in specs.items()})


def _dependents(specs, names) -> list[tuple[str, t.Node]]:
    """Variables defined by ``equals``, parsed, in an order where each needs only earlier ones."""
    pending = {name: parse(spec.equals, names=names)
               for name, spec in specs.items()
               if isinstance(spec, VarSpec) and spec.equals is not None}
    ready = {name for name in specs if name not in pending}
    order = []
    while pending:
        name = next((n for n, node in sorted(pending.items()) if t.free_names(node) <= ready),
                    None)
        if name is None:
            raise ValueError("the 'equals' definitions of " + ", ".join(sorted(pending))
                             + " depend on each other in a cycle")
        order.append((name, pending.pop(name)))
        ready.add(name)
    return order


# ---------------------------------------------------------------------------------
# The chain.

def _compare(ref, ans, declared: Declarations, budget_s, seed, *, scalar: bool) -> Outcome:
    started = time.monotonic()
    names = declared.names
    try:
        ref_sized, ref_shape = with_sizes(ref, names)
    except AnswerError as exc:
        raise ValueError(f"the reference cannot be used: {exc.message}") from None
    ans_sized, ans_shape = with_sizes(ans, names, expected=ref_shape)   # AnswerError: theirs
    if scalar and ref_shape not in ((), (1, 1)):
        raise ValueError(f"compare_scalar got a reference that is {describe(ref_shape)}")
    if _flat(ref_shape) != _flat(ans_shape):
        raise AnswerError(f"expected {describe(ref_shape)}, got {describe(ans_shape)}")
    # Rational constant parts are computed exactly first: t + 1e12 - 1e12 is t.
    ref_sized, ans_sized = precise.fold(ref_sized), precise.fold(ans_sized)
    for batch, points in enumerate((POINTS, EXTRA_POINTS)):
        env = _environment(declared, seed, batch, points)
        with np.errstate(all="ignore"):
            # The reference is evaluated once per part, bounds included. The answer's
            # bound is always needed: it says whether the answer's own float value can
            # be trusted, and it never widens what the reference tolerates.
            reference = _reference_value(ref_sized, declared, seed, batch, points)
            if reference.everywhere and not reference.constant and ans_sized == ref_sized:
                # The reference's own formula (the key, copied): it takes the reference's
                # values at every point, so evaluating it again would only repeat them.
                return Outcome(True, "sampling", f"agrees at {points} sample points")
            evaluator = BatchEvaluator(env, magnitudes=True)
            b, b_mag = evaluator.pair(ans_sized)
            if b.shape[0] == 1 and reference.constant:
                # Two constants (no sample point changes them): compared exactly or at
                # high precision, never by their rounded floats.
                outcome = _constant_pair(ref_sized, ans_sized)
                if outcome is not None:
                    return outcome
            noise = _noise(b_mag, evaluator.steps, ans_shape)
            outcome = _judge(reference, _broadcast(b, points), _broadcast(noise, points),
                             env, declared.specs, ref_sized, ans_sized)
        if outcome is not None:
            return outcome
    remaining = budget_s - (time.monotonic() - started)
    return _sympy_check(ref_sized, ans_sized, declared.specs, remaining)


def _constant_pair(ref: t.Node, ans: t.Node) -> Outcome | None:
    """Two constant expressions are compared exactly (or at high precision), never by
    their rounded floats: ``exp(100) + 1`` is not ``exp(100)``."""
    equal = precise.settle_point(ref, ans, {}, 0)
    if equal is None:
        return None
    return Outcome(equal, "exact", "equal constants" if equal else "different constants")


def _noise(mag: np.ndarray, steps: int, shape: t.Shape) -> np.ndarray:
    """A bound on the answer's own float error: each operation rounds once, by at most
    an ulp of the terms behind it (``mag``); a matrix product or inverse sums as many
    terms as the matrices are wide, and transcendental functions are off by a few
    ulps. ``NOISE_PER_STEP`` is 1e-15 (about nine ulps) to cover both."""
    width = max(shape) if shape else 1
    return (NOISE_PER_STEP * max(steps + 4 * width, 16)) * mag


def _flat(shape: t.Shape) -> t.Shape:
    return () if shape in ((), (1, 1)) else shape


def _broadcast(value: np.ndarray, points: int) -> np.ndarray:
    if value.shape[0] == points:
        return value
    return np.broadcast_to(value, (points,) + value.shape[1:])


def _judge(ref: _Reference, b: np.ndarray, noise: np.ndarray, env, specs,
           ref_node: t.Node, ans_node: t.Node) -> Outcome | None:
    """Sampling verdict, or ``None`` when too few points are usable.

    The tolerance at each point comes from the reference alone: ``RTOL`` of its value
    plus its own rounding bound. The answer's rounding bound ``noise`` never widens
    it; it only says where the answer's float cannot be trusted. At each point where
    the reference is usable:

    * agree: the answer's value is within the tolerance and its noise is too;
    * differ: the answer is further from the reference than tolerance and noise together;
    * otherwise (noise too large, or a non-finite answer) the point is settled at high
      precision (``precise``); one it cannot settle leaves the comparison to sympy.
    """
    gap = np.abs(ref.value - b)
    tolerance = ref.tolerance
    if ref.everywhere:
        # The usual right answer: every entry within tolerance, noise included.
        close = np.maximum(gap, noise) <= tolerance
        if np.count_nonzero(close) == close.size:
            return Outcome(True, "sampling", f"agrees at {close.shape[0]} sample points")
    usable = ref.usable
    if np.count_nonzero(b.imag):
        # Points where the answer has left the real numbers (log(x) + log(y) at x, y < 0,
        # against log(x y)) are outside its domain: skipped, like the reference's.
        usable = usable & _each_point(~np.isfinite(b) | _real_finite(b))
    count = np.count_nonzero(usable)
    if count < MIN_USABLE:
        return None
    with np.errstate(invalid="ignore"):
        agree = _each_point((gap <= tolerance) & (noise <= tolerance))
        differ = ~_each_point(~(gap > tolerance + noise)) & usable  # any entry; nan is not
    far = differ
    differing = np.count_nonzero(far)
    if differing:
        return Outcome(False, "sampling", lambda: _difference(far, differing, count, env, specs))
    unsure = usable & ~agree
    if not np.count_nonzero(unsure):
        return Outcome(True, "sampling", f"agrees at {count} sample points")
    scale = ref.scale
    for index in np.flatnonzero(unsure)[:MAX_PRECISE_POINTS]:
        equal = precise.settle_point(ref_node, ans_node, env, int(index), float(scale[index]))
        if equal is False:
            return Outcome(False, "sampling", "differs at a sample point evaluated at "
                                              "high precision")
        if equal is None:
            return None                       # to sympy, or undecided
    if np.count_nonzero(unsure) > MAX_PRECISE_POINTS:
        return None
    return Outcome(True, "sampling", f"agrees at {count} sample points "
                                     f"({np.count_nonzero(unsure)} at high precision)")


def _difference(far: np.ndarray, differing: int, count: int, env, specs) -> str:
    first = int(np.argmax(far))
    where = ", ".join(f"{name}={env[name][first, 0, 0].real:.4g}"
                      for name, spec in sorted(specs.items()) if isinstance(spec, VarSpec))
    detail = f"differs at {differing} of {count} usable sample points"
    return detail + (f", e.g. at {where}" if where else "")


def _each_point(test: np.ndarray) -> np.ndarray:
    """A (points, rows, cols) test → one flag per point: true where it holds for every entry."""
    if test.shape[1:] == (1, 1):
        return test.reshape(test.shape[0])
    return np.logical_and.reduce(test.reshape(test.shape[0], -1), axis=1)


def _real_finite(z: np.ndarray) -> np.ndarray:
    """Finite with a negligible imaginary part: a point inside the real domain."""
    finite = np.isfinite(z)
    if not np.count_nonzero(z.imag):              # the usual case, and a cheap test
        return finite
    return finite & (np.abs(z.imag) <= 1e-9 * np.maximum(1.0, np.abs(z.real)))


# ---------------------------------------------------------------------------------
# Sampling.

@functools.lru_cache(maxsize=256)
def _environment(declared: Declarations, seed: int, batch: int, points: int) -> dict[str, np.ndarray]:
    """Every variable's values at the sample points: drawn, then the ``equals`` ones
    computed from them. A pure function of its arguments, memoised because every
    answer to a part uses the same points. Read-only."""
    env = dict(_draw(declared.key, seed, batch, points))
    names = declared.names
    evaluator = BatchEvaluator(env)
    with np.errstate(all="ignore"):
        for name, node in _dependents(declared.specs, names):
            env[name] = _broadcast(evaluator.pair(with_sizes(node, names)[0])[0], points)
    for value in env.values():
        value.flags.writeable = False
    return env


class _Reference:
    """The reference at the sample points, with what every comparison with it needs:
    where it is usable (real and finite, with a finite bound), the tolerance it sets
    at each entry, and its scale per point (for the high-precision check). Arrays are
    broadcast to one entry per point."""

    __slots__ = ("value", "usable", "everywhere", "constant", "tolerance", "scale")

    def __init__(self, value: np.ndarray, mag: np.ndarray, points: int):
        self.constant = value.shape[0] == 1          # no variable changes it
        self.value = _broadcast(value, points)
        mag = _broadcast(mag, points)
        self.usable = _each_point(_real_finite(self.value) & np.isfinite(mag))
        self.everywhere = bool(np.count_nonzero(self.usable) == points)
        self.tolerance = RTOL * np.abs(self.value) + ROUNDING * mag
        flat = mag.reshape(mag.shape[0], -1)
        self.scale = np.max(np.where(np.isfinite(flat), flat, 0.0), axis=1)


# Every answer to a part is compared with the same reference at the same points.
_REFERENCE_VALUES = IdentityMemo(256)


def _reference_value(ref: t.Node, declared: Declarations, seed: int, batch: int,
                     points: int) -> _Reference:
    """The reference evaluated at the sample points with magnitude bounds, memoised."""
    extra = (declared, seed, batch, points)
    hit = _REFERENCE_VALUES.get(ref, extra)
    if hit is not None:
        return hit
    env = _environment(declared, seed, batch, points)
    value, mag = BatchEvaluator(env, magnitudes=True).pair(ref)
    return _REFERENCE_VALUES.put(ref, _Reference(value, mag, points), extra)


def _draw(specs: tuple, seed: int, batch: int, points: int) -> dict[str, np.ndarray]:
    """Sample points for the independent variables, deterministic from the arguments."""
    rng = np.random.Generator(np.random.PCG64(_seed_sequence(seed, batch)))
    env = {}
    for name, spec in specs:
        lo, hi = spec.domain
        if isinstance(spec, VarSpec):
            if spec.equals is None:
                env[name] = rng.uniform(lo, hi, (points, 1, 1)).astype(complex)
        else:
            env[name] = _draw_matrices(spec, rng, points).astype(complex)
    return env


@functools.lru_cache(maxsize=64)
def _seed_sequence(seed: int, batch: int) -> np.random.SeedSequence:
    # The stream of np.random.default_rng([seed, batch]); built once, as spreading the
    # seed costs as much as drawing a part's points. Generating from it changes nothing.
    return np.random.SeedSequence([seed, batch])


def _draw_matrices(spec: MatVarSpec, rng: np.random.Generator, points: int) -> np.ndarray:
    rows, cols = spec.shape
    lo, hi = spec.domain

    def fresh(count: int) -> np.ndarray:
        m = rng.uniform(lo, hi, (count, rows, cols))
        if spec.kind == "symmetric":
            m = (m + np.swapaxes(m, 1, 2)) / 2
        elif spec.kind == "spd":
            m = m @ np.swapaxes(m, 1, 2) / rows + 0.5 * np.eye(rows)
        elif spec.kind == "diagonal":
            m = np.diagonal(m, axis1=1, axis2=2)[:, :, None] * np.eye(rows)
        return m

    m = fresh(points)
    if rows != cols:
        return m
    for _ in range(100):                  # redraw ill-conditioned samples, deterministically
        bad = np.linalg.cond(m) > MAX_CONDITION
        if not bad.any():
            break
        m[bad] = fresh(int(bad.sum()))
    return m


# ---------------------------------------------------------------------------------
# The sympy fallback, in a process that can be killed.

def _sympy_check(ref, ans, specs, budget_s: float) -> Outcome:
    # One long-lived worker process serves every check (sympy_worker.py); it is killed
    # and restarted when a check overruns, and a per-file deadline bounds them all.
    from . import sympy_worker
    return Outcome(*sympy_worker.check(ref, ans, specs, budget_s))


def sympy_equal(ref: t.Node, ans: t.Node, specs: Mapping[str, VarSpec | MatVarSpec]) -> bool:
    """``simplify(ref - ans) == 0`` over symbols built from the declarations (no budget)."""
    import sympy

    from .sympy_bridge import to_sympy

    names = _names(specs)
    symbols: dict[str, object] = {}
    for name, spec in sorted(specs.items()):
        if isinstance(spec, MatVarSpec):
            symbols[name] = _symbolic_matrix(name, spec, sympy)
        elif spec.equals is None:
            symbols[name] = _symbolic_scalar(name, spec, sympy)
    for name, node in _dependents(specs, names):
        symbols[name] = to_sympy(node, symbols)
    difference = to_sympy(ref, symbols) - to_sympy(ans, symbols)
    entries = difference if isinstance(difference, sympy.MatrixBase) else [difference]
    return all(sympy.simplify(entry) == 0 for entry in entries)


def _symbolic_scalar(name: str, spec: VarSpec, sympy):
    lo, hi = spec.domain
    if lo > 0:
        return sympy.Symbol(name, positive=True)
    if hi < 0:
        return sympy.Symbol(name, negative=True)
    return sympy.Symbol(name, real=True)


def _symbolic_matrix(name: str, spec: MatVarSpec, sympy):
    rows, cols = spec.shape

    def entry(i: int, j: int):
        if spec.kind in ("symmetric", "spd"):
            i, j = min(i, j), max(i, j)
        if spec.kind == "diagonal" and i != j:
            return sympy.Integer(0)
        return sympy.Symbol(f"{name}_{i + 1}{j + 1}", real=True)

    return sympy.Matrix(rows, cols, entry)
