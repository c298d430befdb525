"""One student's variant of a problem: parameters drawn from an HMAC seed, and the reference.

seed = HMAC-SHA256(secret, set id, student id, problem key). Python's ``random.Random``
seeded with an int is stable across processes and machines (unlike ``hash``), so the
same inputs always give the same parameters.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

from .bank.model import Problem
from .bank.params import draw_params
from .bank.solvers import Reject, solver_failure
from .errors import AuthorError, UsageError

SECRET_ENV = "GRADER_SECRET"
DEMO_SECRET = b"demo-secret: public, for the bundled demo only"
MAX_DRAWS = 500


def variant_seed(secret: bytes, set_id: str, student_id: str, key: str) -> int:
    # A unit separator keeps ("a", "bc") and ("ab", "c") apart.
    message = "\x1f".join((set_id, student_id, key)).encode("utf-8")
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:8], "big")


def load_secret(secret_file: str | None) -> bytes:
    """The instructor secret from --secret-file or GRADER_SECRET; refusing to go on without one."""
    if secret_file:
        data = Path(secret_file).read_bytes().strip()
        if not data:
            raise UsageError(f"{secret_file}: the secret file is empty")
        return data
    env = os.environ.get(SECRET_ENV, "")
    if env:
        return env.encode("utf-8")
    raise UsageError(f"no instructor secret: set {SECRET_ENV} or pass --secret-file "
                     "(variants must not be guessable)")


@dataclass(frozen=True)
class Variant:
    problem: Problem
    seed: int
    params: dict
    answers: dict  # part id -> reference value
    _by_bug: dict = field(default_factory=dict, compare=False, repr=False)

    def solve(self, *, bug=None, given=None) -> dict:
        """The solver's answers, with a bug switched on or from given earlier values.

        Runs with a bug are memoised: the same variant is graded against the same
        misconceptions for every part and (in validate) many times over.
        """
        if given:
            return self.problem.solver(dict(self.params), bug=bug, given=given)
        if bug is None:
            return self.answers
        if bug not in self._by_bug:
            self._by_bug[bug] = self.problem.solver(dict(self.params), bug=bug, given=None)
        return self._by_bug[bug]


def draw_variant(problem: Problem, seed: int) -> Variant:
    """Draw parameters until the constraints hold and the solver accepts the draw."""
    rng = random.Random(seed)
    for _ in range(MAX_DRAWS):
        try:
            params = draw_params(problem.params, problem.constraints, rng)
        except RuntimeError as exc:   # the constraints hold for (almost) no draw
            raise AuthorError(problem.file, str(exc), field="constraints") from None
        try:
            answers = problem.solver(dict(params), bug=None, given=None)
        except Reject:
            continue
        except Exception as exc:  # an author's bug: name the solver's line and the draw
            raise solver_failure(problem, params, exc) from None
        missing = [p.id for p in problem.parts if p.id not in answers]
        if missing:
            raise AuthorError(problem.file, f"{problem.solver_name} returned no answer for part(s) {missing}",
                              field="solver")
        return Variant(problem, seed, params, answers)
    raise AuthorError(problem.file, f"the solver rejected {MAX_DRAWS} draws in a row", field="solver")
