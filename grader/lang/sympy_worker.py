"""The sympy fallback in one long-lived process, reused for every comparison.

Starting Python and importing sympy costs about a second, far more than most symbolic
checks; so one worker process per grading process serves all of them, and it is
killed and restarted only when a check overruns its budget or the worker dies.

Both sides live here:

* ``serve(stdin, stdout)`` (the worker, ``python -m grader.lang.sympy_worker``): writes
  ``ready`` once sympy is imported, then answers requests in order until its input
  closes. A request is an 8-byte big-endian length and a pickled ``(ref, ans, specs)``
  (trees made by our own parser in the parent; never student text); the answer is one
  JSON line, ``{"equal": bool}`` or ``{"error": "..."}``.
* ``check(ref, ans, specs, budget_s)`` (the parent): sends a request to the shared worker
  and waits at most ``budget_s`` for the answer, and no later than the current
  ``deadline`` (the per-file budget the grading loop sets). On a timeout a new worker is
  started at once (so the next check finds it warm) and the old one is stopped.

Stopping a worker is a normal exit whenever it can be: its input is closed (an idle
worker then returns from ``serve``), a busy one gets SIGTERM, which ``main`` turns into
``SystemExit``; only a worker that ignores both for ``STOP_GRACE_S`` is killed. So exit
handlers run in the worker, and coverage (tests) saves what it measured there.

The result is ``(equal, check, message)`` with ``equal`` None when it could not be settled.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import json
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

STARTUP_TIMEOUT_S = 60.0   # without a deadline, how long a fresh worker may take to import sympy
STOP_GRACE_S = 3.0         # how long a stopping worker may take to exit before the next signal
_LENGTH = 8

# When the current answer file's time runs out (time.monotonic()), or None: no file budget.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("sympy_deadline", default=None)


# ---------------------------------------------------------------------------------
# The worker side.

def serve(stdin, stdout) -> None:
    """Answer requests from ``stdin`` (binary) on ``stdout`` (binary) until input ends."""
    import sympy

    from grader.lang.equivalence import sympy_equal

    # Before "ready": the first simplify() loads much of sympy lazily (seconds on a busy
    # machine), which no check's budget should pay for.
    x = sympy.Symbol("x", real=True)
    sympy.simplify(sympy.log(1 + x ** 2) + sympy.sin(x) ** 2 + sympy.cos(x) ** 2 - sympy.exp(x) / sympy.exp(x))
    stdout.write(b"ready\n")
    stdout.flush()
    while True:
        head = stdin.read(_LENGTH)
        if len(head) < _LENGTH:
            return
        body = stdin.read(int.from_bytes(head, "big"))
        try:
            ref, ans, specs = pickle.loads(body)
            result = {"equal": bool(sympy_equal(ref, ans, specs))}
        except Exception as exc:        # reported to the parent as an undecided check
            result = {"error": f"{type(exc).__name__}: {exc}"}
        stdout.write(json.dumps(result).encode() + b"\n")
        stdout.flush()


def _exit_normally(signum, frame) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    # SIGTERM (the parent stopping a worker that overran) unwinds like any exit, running
    # exit handlers; the default action would end the process before they run.
    signal.signal(signal.SIGTERM, _exit_normally)
    if os.environ.get("COVERAGE_PROCESS_START"):   # measured under coverage (tests), when asked
        with contextlib.suppress(ImportError):
            import coverage
            coverage.process_startup()
    serve(sys.stdin.buffer, sys.stdout.buffer)


# ---------------------------------------------------------------------------------
# The parent side.

@contextlib.contextmanager
def deadline(seconds: float | None):
    """Bound every symbolic check inside the block to end within ``seconds`` from now."""
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left() -> float | None:
    """Seconds left before the current deadline (may be negative), or None without one."""
    end = _deadline.get()
    return None if end is None else end - time.monotonic()


class _Worker:
    """One worker process, its reader thread and its queue of output lines."""

    def __init__(self):
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (root, os.environ.get("PYTHONPATH")) if p))
        # A fresh interpreter (not multiprocessing): it never re-imports the caller's
        # __main__, and it can be killed whatever sympy is doing.
        self.process = subprocess.Popen([sys.executable, "-m", "grader.lang.sympy_worker"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=env)
        self.pid = os.getpid()          # the grading process that owns it
        self.lines: queue.Queue = queue.Queue()
        self.ready = False
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_ready(self, timeout: float) -> bool:
        if not self.ready:
            line = self.lines.get(timeout=max(timeout, 0.0))
            if line != b"ready\n":
                raise BrokenPipeError("the worker stopped while starting")
            self.ready = True
        return True

    def stop(self, grace_s: float = STOP_GRACE_S, idle: bool = True) -> None:
        """End the worker, as cleanly as it allows (see the module docstring).

        ``idle``: it may be waiting for a request, so closing its input is given
        ``grace_s`` to end it first; a worker that overran a check gets SIGTERM at once.
        """
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        steps = ([None] if idle else []) + [self.process.terminate, self.process.kill]
        for send in steps:
            if send is not None:
                with contextlib.suppress(OSError):
                    send()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace_s)
                break
        with contextlib.suppress(OSError):
            self.process.stdout.close()


class _Pool:
    """The shared worker of this process: started lazily, restarted after a kill."""

    def __init__(self):
        self.lock = threading.Lock()
        self.worker: _Worker | None = None
        self.started = 0                # workers started, for tests and the README's numbers

    def _current(self) -> _Worker:
        w = self.worker
        if w is None or w.pid != os.getpid() or w.process.poll() is not None:
            # none yet, inherited across a fork (the parent's pipes), or dead: a new one
            if w is not None and w.pid == os.getpid():
                w.stop(idle=False)          # reaps a dead one at once
            self.worker = w = _Worker()
            self.started += 1
        return w

    def prewarm(self) -> None:
        with self.lock:
            self._current()

    def restart(self) -> None:
        """Start the next worker now, so it imports sympy meanwhile, and stop the old one.

        The old one is stopped in the background: the check that gave up on it returns at
        once, whatever the old worker takes to exit (at most two ``STOP_GRACE_S``).
        """
        old, self.worker = self.worker, None
        self._current()
        if old is not None and old.pid == os.getpid():
            threading.Thread(target=old.stop, kwargs={"idle": False}, name="sympy-worker-stop").start()

    def check(self, ref, ans, specs, budget_s: float):
        left = time_left()
        if left is not None:
            budget_s = min(budget_s, left)
        if budget_s <= 0:
            return None, "timeout", "no time was left for the sympy check"
        request = pickle.dumps((ref, ans, specs))
        with self.lock:
            w = self._current()
            try:
                started = time.monotonic()
                # starting is charged to the file's budget (if any), not to this check's
                w.wait_ready(left if left is not None else STARTUP_TIMEOUT_S)
                if left is not None:
                    budget_s = min(budget_s, left - (time.monotonic() - started))
                    if budget_s <= 0:
                        return None, "timeout", "no time was left for the sympy check"
                w.process.stdin.write(len(request).to_bytes(_LENGTH, "big") + request)
                w.process.stdin.flush()
                reply = w.lines.get(timeout=budget_s)
            except queue.Empty:
                self.restart()
                return None, "timeout", f"sympy did not finish within {budget_s:.3g} s"
            except (BrokenPipeError, OSError, ValueError):
                self.restart()
                return None, "sympy", "the sympy worker stopped without an answer"
            if reply is None:
                self.restart()
                return None, "sympy", "the sympy worker stopped without an answer"
        result = json.loads(reply)
        if "error" in result:
            return None, "sympy", f"sympy could not compare: {result['error']}"
        return result["equal"], "sympy", "simplify(reference - answer) " + (
            "is 0" if result["equal"] else "is not 0")

    def close(self) -> None:
        """Stop this process's worker (at exit, and before a test run's coverage is combined)."""
        w, self.worker = self.worker, None
        if w is not None and w.pid == os.getpid():
            w.stop()


POOL = _Pool()
atexit.register(POOL.close)


def check(ref, ans, specs, budget_s: float):
    """Compare two trees with sympy in the shared worker; see the module docstring."""
    return POOL.check(ref, ans, specs, budget_s)


def prewarm() -> None:
    """Start the worker now (it imports sympy while other work goes on)."""
    POOL.prewarm()


if __name__ == "__main__":
    main()
