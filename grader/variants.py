"""One student's variant of a problem: parameters drawn from an HMAC seed, and the reference.

seed = HMAC-SHA256(secret, set id, student id, problem key). Python's ``random.Random``
seeded with an int is stable across processes and machines (unlike ``hash``), so the
same inputs always give the same parameters.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import random
import secrets
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .bank.model import Problem
from .bank.params import draw_params
from .bank.solvers import Reject, solver_failure
from .errors import AuthorError, InputError, UsageError

SECRET_ENV = "GRADER_SECRET"
DEMO_SECRET = b"demo-secret: public, for the bundled demo only"   # `grader demo` only; never checked
MAX_DRAWS = 500


def variant_seed(secret: bytes, set_id: str, student_id: str, key: str) -> int:
    # A unit separator keeps ("a", "bc") and ("ab", "c") apart.
    message = "\x1f".join((set_id, student_id, key)).encode("utf-8")
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:8], "big")


MIN_SECRET_CHARS = 12
WARN_SECRET_BITS = 128
SECRET_MESSAGES = {
    "short": {"en": "the instructor secret has {n} characters; at least {min} are needed (a short one is "
                    "recovered from one student's sheet in seconds): make one with `grader secret`",
              "ru": "секрет преподавателя из {n} символов; нужно не меньше {min} (короткий восстанавливается "
                    "по листу одного студента за секунды): создайте его командой `grader secret`"},
    "weak": {"en": "warning: the instructor secret looks weak (about {bits} bits, fewer than {want}); "
                   "`grader secret` makes a strong one",
             "ru": "предупреждение: секрет преподавателя выглядит слабым (около {bits} бит, меньше {want}); "
                   "надёжный создаёт `grader secret`"},
    "shared": {"en": "warning: {path} is readable by other users (mode {mode:o}); run `chmod 600 {path}`",
               "ru": "предупреждение: {path} доступен для чтения другим пользователям (права {mode:o}); "
                     "выполните `chmod 600 {path}`"},
    "unreadable": {"en": "{path}: cannot read the secret file ({why}); check the path or set " + SECRET_ENV,
                   "ru": "{path}: не удаётся прочитать файл секрета ({why}); проверьте путь или задайте "
                         + SECRET_ENV},
}


def _say(key: str, lang: str, **fields) -> str:
    table = SECRET_MESSAGES[key]
    return table.get(lang, table["en"]).format(**fields)


def secret_bits(secret: bytes) -> float:
    """A rough strength estimate, as password meters make it: the alphabet the secret's
    character classes span, to the power of its length, a run of one repeated character
    counting once. ``grader secret`` gives 43 URL-safe characters: about 250 bits."""
    text = secret.decode("utf-8", "replace")
    pool = sum(size for test, size in ((str.islower, 26), (str.isupper, 26), (str.isdigit, 10))
               if any(test(c) and c.isascii() for c in text))
    pool += 33 if any(c.isascii() and not c.isalnum() for c in text) else 0
    pool += 100 if any(not c.isascii() for c in text) else 0
    length = sum(1 for i, c in enumerate(text) if i == 0 or c != text[i - 1])
    return length * math.log2(pool) if pool > 1 else 0.0


def check_secret(secret: bytes, lang: str = "en") -> bytes:
    """Refuse a short secret (InputError, exit 1); warn on stderr about a weak-looking one."""
    n = len(secret.decode("utf-8", "replace"))
    if n < MIN_SECRET_CHARS:
        raise InputError(_say("short", lang, n=n, min=MIN_SECRET_CHARS))
    bits = secret_bits(secret)
    if bits < WARN_SECRET_BITS:
        print("grader: " + _say("weak", lang, bits=int(bits), want=WARN_SECRET_BITS), file=sys.stderr)
    return secret


def load_secret(secret_file: str | None, lang: str = "en") -> bytes:
    """The instructor secret from --secret-file or GRADER_SECRET; refusing to go on without one,
    or with a short one (see ``check_secret``). A file others can read draws a warning."""
    if secret_file:
        path = Path(secret_file)
        try:
            data = path.read_bytes().strip()
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError as exc:
            raise InputError(_say("unreadable", lang, path=secret_file, why=exc.strerror or exc)) from None
        if not data:
            raise UsageError(f"{secret_file}: the secret file is empty")
        if mode & 0o077:
            print("grader: " + _say("shared", lang, path=secret_file, mode=mode), file=sys.stderr)
        return check_secret(data, lang)
    env = os.environ.get(SECRET_ENV, "")
    if env:
        return check_secret(env.encode("utf-8"), lang)
    raise UsageError(f"no instructor secret: set {SECRET_ENV} or pass --secret-file "
                     "(variants must not be guessable; `grader secret` makes one)")


def new_secret() -> str:
    """A fresh strong secret: 32 random bytes, URL-safe (about 256 bits)."""
    return secrets.token_urlsafe(32)


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
        # runs with a bug the solver made while checking the draw are the grader's too
        return Variant(problem, seed, params, answers, dict(getattr(answers, "bug_runs", None) or {}))
    raise AuthorError(problem.file, f"the solver rejected {MAX_DRAWS} draws in a row", field="solver")
