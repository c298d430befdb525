"""The symbolic fallback: domains, matrices, budgets, and one long-lived worker that may die.

``sympy_equal`` is exercised in this process (so coverage measures it) and through the
worker (``sympy_worker.check``), whose server loop ``serve`` is also run in-process.
"""

from __future__ import annotations

import io
import json
import pickle
import signal
import subprocess
import sys
import threading
import time

import pytest

from grader.lang import parse, sympy_worker
from grader.lang.equivalence import MatVarSpec, VarSpec, compare_scalar, sympy_equal

NOWHERE_REAL = "log(-1 - x^2)"     # no real value anywhere: sampling cannot decide
POS, NEG, MIXED = VarSpec((0.5, 3.0)), VarSpec((-3.0, -0.5)), VarSpec((-3.0, 3.0))


def trees(ref: str, ans: str, specs):
    names = {n: s.shape if isinstance(s, MatVarSpec) else () for n, s in specs.items()}
    return parse(ref, names=names), parse(ans, names=names)


# -- what sympy is asked, by domain --------------------------------------------------

@pytest.mark.parametrize("ans, domain, equal", [
    ("x", POS, True),         # sqrt(x^2) = x only because x > 0 is kept
    ("-x", POS, False),
    ("-x", NEG, True),        # ... and = -x for a negative domain
    ("x", NEG, False),
    ("x", MIXED, False),      # a domain across 0: neither
    ("abs(x)", MIXED, True),
    ("abs(x)", POS, True),
])
def test_domains_reach_sympy(ans, domain, equal):
    ref, got = trees("sqrt(x^2)", ans, {"x": domain})
    assert sympy_equal(ref, got, {"x": domain}) is equal


def test_positive_domain_log_rules():
    """log(x y) = log x + log y needs both positive; the fallback must keep that."""
    specs = {"x": POS, "y": POS}
    assert sympy_equal(*trees("log(x y)", "log(x) + log(y)", specs), specs)
    specs = {"x": MIXED, "y": MIXED}
    assert not sympy_equal(*trees("log(x y)", "log(x) + log(y)", specs), specs)


@pytest.mark.parametrize("kind, equal", [("symmetric", True), ("spd", True), ("general", False),
                                         ("diagonal", True)])
def test_matrix_kinds(kind, equal):
    specs = {"A": MatVarSpec((2, 2), kind)}
    assert sympy_equal(*trees("A^T", "A", specs), specs) is equal


def test_matrix_with_a_vector_and_identity():
    specs = {"A": MatVarSpec((2, 2)), "x": MatVarSpec((2, 1))}
    assert sympy_equal(*trees("(A + A^T) x", "A x + A^T x", specs), specs)
    assert not sympy_equal(*trees("(A + A^T) x", "2 A x", specs), specs)
    assert sympy_equal(*trees("(x^T x) A + A", "A (x^T x + 1)", specs), specs)


def test_through_compare_the_domain_decides():
    """End to end: sampling cannot decide (no real point), the worker keeps positivity."""
    x = {"x": POS}
    ref, ans = trees(f"{NOWHERE_REAL} + sqrt(x^2)", f"{NOWHERE_REAL} + x", x)
    outcome = compare_scalar(ref, ans, x, budget_s=30)
    assert (outcome.equal, outcome.check) == (True, "sympy")
    mixed = {"x": MIXED}
    ref, ans = trees(f"{NOWHERE_REAL} + sqrt(x^2)", f"{NOWHERE_REAL} + x", mixed)
    assert compare_scalar(ref, ans, mixed, budget_s=30).equal is False


# -- the worker: one process, reused; restarted after a timeout or a death -------------

def _check(ref, ans, specs=None, budget=30.0):
    specs = specs or {"x": MIXED}
    return sympy_worker.check(*trees(ref, ans, specs), specs, budget)


def test_the_worker_is_reused():
    assert _check("sin(x)^2 + cos(x)^2", "1")[0] is True
    started = sympy_worker.POOL.started
    for _ in range(3):
        assert _check("2 x", "x + x")[0] is True
        assert _check("2 x", "x")[0] is False
    assert sympy_worker.POOL.started == started


@pytest.mark.slow   # restarts the worker (an interpreter and sympy)
def test_a_timeout_is_undecided_and_the_next_check_works():
    _check("x", "x")
    started = sympy_worker.POOL.started
    equal, check, message = _check("(sin(x) + cos(x))^40", "(sin(x) + cos(x))^38 (1 + 2 sin(x) cos(x))",
                                   budget=0.01)
    assert (equal, check) == (None, "timeout") and "did not finish" in message
    assert sympy_worker.POOL.started == started + 1          # killed and replaced
    assert _check("2 x", "x + x")[0] is True


@pytest.mark.slow   # restarts the worker (an interpreter and sympy)
def test_a_dead_worker_is_replaced():
    _check("x", "x")
    sympy_worker.POOL.worker.process.kill()
    sympy_worker.POOL.worker.process.wait()
    assert _check("2 x", "x + x")[0] is True


@pytest.mark.slow   # restarts the worker (an interpreter and sympy)
def test_a_worker_dying_mid_check_is_undecided_then_replaced():
    _check("x", "x")
    victim = sympy_worker.POOL.worker.process
    threading.Timer(0.3, victim.kill).start()
    equal, check, message = _check("(sin(x) + cos(x))^60", "(sin(x) + cos(x))^58 (1 + 2 sin(x) cos(x))",
                                   budget=60)
    if equal is None:      # killed while working (the usual case)
        assert check == "sympy" and "stopped" in message
    assert _check("2 x", "x + x")[0] is True


def test_a_file_deadline_bounds_every_check():
    _check("x", "x")
    with sympy_worker.deadline(0.0):
        assert sympy_worker.time_left() <= 0
        assert _check("2 x", "x + x")[:2] == (None, "timeout")
    assert sympy_worker.time_left() is None
    with sympy_worker.deadline(5):
        with sympy_worker.deadline(1):
            assert sympy_worker.time_left() <= 1
        assert 1 < sympy_worker.time_left() <= 5



# -- stopping a worker: a normal exit when it can be (its exit handlers, e.g. coverage's, run)

def _fresh_worker() -> sympy_worker._Worker:
    w = sympy_worker._Worker()
    assert w.wait_ready(sympy_worker.STARTUP_TIMEOUT_S)
    return w


@pytest.mark.slow   # starts a worker (an interpreter and sympy)
def test_an_idle_worker_stops_by_itself_when_its_input_closes():
    """Stopping an idle worker is a clean exit (status 0), not a signal."""
    w = _fresh_worker()
    w.stop()
    assert w.process.returncode == 0


@pytest.mark.slow   # starts a worker (an interpreter and sympy)
def test_a_busy_worker_exits_normally_on_sigterm():
    """A worker that overran gets SIGTERM, which it turns into a normal exit (128 + 15),
    so its exit handlers run; the default action would leave status -15."""
    w = _fresh_worker()
    specs = {"x": MIXED}
    request = pickle.dumps((*trees("(sin(x) + cos(x))^80", "(sin(x) + cos(x))^78 (1 + 2 sin(x) cos(x))",
                                   specs), specs))
    w.process.stdin.write(len(request).to_bytes(8, "big") + request)
    w.process.stdin.flush()
    time.sleep(0.2)                                    # let it start simplifying
    w.stop(idle=False)
    assert w.process.returncode == 128 + signal.SIGTERM


def test_a_worker_that_ignores_sigterm_is_killed():
    """SIGKILL remains the last resort: a hung worker cannot outlive its stop."""
    ignore = ("import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
              "sys.stdin.close(); print('ready', flush=True); time.sleep(120)")
    w = sympy_worker._Worker.__new__(sympy_worker._Worker)
    w.process = subprocess.Popen([sys.executable, "-c", ignore], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert w.process.stdout.readline() == b"ready\n"   # SIGTERM is ignored from here on
    started = time.monotonic()
    w.stop(grace_s=0.2)
    assert w.process.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 20            # two graces, generously


@pytest.mark.slow   # restarts the worker (an interpreter and sympy)
def test_after_a_timeout_the_old_worker_is_stopped():
    """The timed-out worker is replaced at once and the old one ends (stopped in the background)."""
    _check("x", "x")
    victim = sympy_worker.POOL.worker.process
    # sympy proves this pair in about 1 s here (the ^80 pair took 0.49 s: too close to a 0.5 s budget)
    equal, check, _ = _check("(sin(x) + cos(x))^160", "(sin(x) + cos(x))^158 (1 + 2 sin(x) cos(x))", budget=0.2)
    assert (equal, check) == (None, "timeout")
    assert sympy_worker.POOL.worker.process is not victim
    assert victim.wait(timeout=30) in (128 + signal.SIGTERM, -signal.SIGKILL)

# -- the server loop, in this process ---------------------------------------------------

def _frame(obj) -> bytes:
    body = pickle.dumps(obj)
    return len(body).to_bytes(8, "big") + body


def test_serve_answers_in_order_and_stops_at_end_of_input():
    specs = {"x": MIXED}
    requests = (_frame((*trees("2 x", "x + x", specs), specs)) + _frame(b"not a request")
                + _frame((*trees("x", "2 x", specs), specs)))
    out = io.BytesIO()
    sympy_worker.serve(io.BytesIO(requests), out)
    lines = out.getvalue().splitlines()
    assert lines[0] == b"ready"
    replies = [json.loads(line) for line in lines[1:]]
    assert replies[0] == {"equal": True} and "error" in replies[1] and replies[2] == {"equal": False}


def test_serve_survives_a_truncated_request():
    out = io.BytesIO()
    sympy_worker.serve(io.BytesIO((100).to_bytes(8, "big") + b"short"), out)
    assert out.getvalue().splitlines()[0] == b"ready"


@pytest.mark.slow   # restarts the worker (an interpreter and sympy)
def test_time_is_bounded_even_when_sympy_is_slow():
    """A budget of 1 s ends a hard simplify in about that, not in its own time."""
    _check("x", "x")
    started = time.monotonic()
    _check("(sin(x) + cos(x))^80", "(sin(x) + cos(x))^78 (1 + 2 sin(x) cos(x))", budget=1.0)
    assert time.monotonic() - started < 30    # generous: killing and restarting included
