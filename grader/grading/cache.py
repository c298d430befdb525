"""The verdict cache: an identical answer compared with an identical value is judged once.

Grading a part compares the student's answer with a few solver values: the reference,
each misconception's answer and, for follow-through, the reference re-run from the
student's earlier answers (see ``part.ProblemGrader``). A comparison's outcome depends
only on the part, the value compared with, the raw answer, the sampling seed and, for
property checks, the drawn parameters; the cache memoises exactly that, so a cached
batch takes the same path and gives byte-identical results to an uncached one.

In a real class most answers repeat, but mostly against the same *value* only where
the value does not depend on the draw (formulas such as ``(A + A^T) x``, choices,
limits) or where draws coincide. For expression comparisons to repeat at all, the batch
samples at points from one seed per problem key, HMAC(secret, set, key): the same for
the whole class and unguessable without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from ..bank.model import ProblemSet
from ..lang import AnswerError
from .submission import SubmissionGrader

MAX_CANON_NODES = 20_000          # nodes visited when keying one value
DEFAULT_CACHE_ENTRIES = 50_000    # comparisons kept per process


class _TooBig(Exception):
    """The value cannot be keyed (too large, or of a type without an exact text)."""


_EXACT_REPR = (Fraction, Decimal, complex)   # types whose repr round-trips exactly


def canonical(value) -> str:
    """A text that is equal for two values exactly when grading cannot tell them apart.

    Types are kept apart (``1``, ``1.0``, ``"1"`` and ``True`` differ), mapping order is
    kept, floats are written by ``repr`` (round-trip exact); arrays by dtype, shape and
    every entry (their repr rounds and abbreviates). Any other type cannot be keyed
    soundly and, like a value past ``MAX_CANON_NODES`` nodes, raises ``_TooBig``: the
    comparison is then computed, not cached.

    Answers are shallow, so a recursive walk (``_walk``) writes the text; one nested
    deeper than ``_FAST_DEPTH`` is written by the iterative ``_walk_deep`` instead
    (no depth limit). Both write the same text and count nodes the same way.
    """
    out: list[str] = []
    try:
        _walk(value, out, MAX_CANON_NODES, 0)
    except _TooDeep:
        return _walk_deep(value)
    return "".join(out)


_FAST_DEPTH = 40                  # deeper values go to _walk_deep (the stack stays small)

# the common scalar types, by exact type: their text is this prefix and their repr
_SCALAR_PREFIX = {int: "int:", float: "float:", str: "str:", bool: "bool:", type(None): "NoneType:"}


class _TooDeep(Exception):
    """The value nests deeper than the recursive walk goes."""


def _walk(v, out: list, budget: int, depth: int) -> int:
    """Write ``v``'s text to ``out``; return the node budget left (``_TooBig`` below 0)."""
    budget -= 1
    if budget < 0:
        raise _TooBig
    prefix = _SCALAR_PREFIX.get(type(v))
    if prefix is not None:
        out.append(prefix + repr(v))
    elif isinstance(v, (list, tuple)):
        if depth >= _FAST_DEPTH:
            raise _TooDeep
        out.append(f"{type(v).__name__}[")
        for item in v:
            prefix = _SCALAR_PREFIX.get(type(item))
            if prefix is not None:          # inlined: most entries are plain numbers
                budget -= 1
                if budget < 0:
                    raise _TooBig
                out.append(prefix + repr(item) + ",")
            else:
                budget = _walk(item, out, budget, depth + 1)
                out.append(",")
        out.append("]")
    elif isinstance(v, dict):
        if depth >= _FAST_DEPTH:
            raise _TooDeep
        out.append("{")
        for k, item in v.items():
            budget = _walk(k, out, budget, depth + 1)
            out.append(":")
            budget = _walk(item, out, budget, depth + 1)
            out.append(",")
        out.append("}")
    elif isinstance(v, (bool, int, float, str)):       # subclasses, such as numpy's float64
        out.append(f"{type(v).__name__}:{v!r}")
    elif isinstance(v, _EXACT_REPR):
        out.append(f"{type(v).__qualname__}:{v!r}")
    elif hasattr(v, "dtype") and hasattr(v, "tolist"):      # numpy arrays and scalars
        if depth >= _FAST_DEPTH:
            raise _TooDeep
        out.append(f"{type(v).__module__}.{type(v).__qualname__}:{v.dtype}:{getattr(v, 'shape', ())}")
        budget = _walk(v.tolist(), out, budget, depth + 1)     # the entries: one more node
    else:
        raise _TooBig
    return budget


def _walk_deep(value) -> str:
    """``canonical`` for values of any depth: the same text, by an explicit stack."""
    out: list[str] = []
    budget = MAX_CANON_NODES
    todo: list = [(False, value)]          # (True, text to emit) or (False, value to walk)
    while todo:
        literal, v = todo.pop()
        if literal:
            out.append(v)
            continue
        budget -= 1
        if budget < 0:
            raise _TooBig
        if v is None or isinstance(v, (bool, int, float, str)):
            out.append(f"{type(v).__name__}:{v!r}")
        elif isinstance(v, (list, tuple)):
            out.append(f"{type(v).__name__}[")
            todo.append((True, "]"))
            for item in reversed(v):
                todo += ((True, ","), (False, item))
        elif isinstance(v, dict):
            out.append("{")
            todo.append((True, "}"))
            for k, item in reversed(list(v.items())):
                todo += ((True, ","), (False, item), (True, ":"), (False, k))
        elif isinstance(v, _EXACT_REPR):
            out.append(f"{type(v).__qualname__}:{v!r}")
        elif hasattr(v, "dtype") and hasattr(v, "tolist"):      # numpy arrays and scalars
            out.append(f"{type(v).__module__}.{type(v).__qualname__}:{v.dtype}:{getattr(v, 'shape', ())}")
            todo.append((False, v.tolist()))
        else:
            raise _TooBig
    return "".join(out)


def sampling_seed(secret: bytes, set_id: str, key: str) -> int:
    """The seed expression comparisons of one problem sample with, shared by the class."""
    message = "\x1f".join(("sampling", set_id, key)).encode("utf-8")
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:4], "big")


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    bypassed: int = 0     # not cacheable: too large to key

    @property
    def lookups(self) -> int:
        return self.hits + self.misses + self.bypassed

    @property
    def hit_rate(self) -> float:
        return self.hits / self.lookups if self.lookups else 0.0

    def to_json(self) -> dict:
        return {"hits": self.hits, "misses": self.misses, "bypassed": self.bypassed,
                "hit_rate": round(self.hit_rate, 4)}


class ComparisonCache:
    """An LRU memo of comparisons; an AnswerError outcome (wrong shape) is remembered too."""

    def __init__(self, size: int = DEFAULT_CACHE_ENTRIES):
        self.size = size
        self.table: OrderedDict = OrderedDict()
        self.stats = CacheStats()

    def compare(self, scope: tuple, inputs: tuple, compute):
        if self.size <= 0:
            self.stats.misses += 1
            return compute()
        try:
            key = hashlib.blake2b(repr(scope).encode() + b"\x1f" + canonical(inputs).encode(),
                                  digest_size=16).digest()
        except _TooBig:
            self.stats.bypassed += 1
            return compute()
        if key in self.table:
            self.stats.hits += 1
            self.table.move_to_end(key)
            outcome = self.table[key]
        else:
            self.stats.misses += 1
            try:
                outcome = compute()
            except AnswerError as exc:
                outcome = exc
            self.table[key] = outcome
            if len(self.table) > self.size:
                self.table.popitem(last=False)
        if isinstance(outcome, AnswerError):
            raise outcome
        return outcome


class CachingSubmissionGrader(SubmissionGrader):
    """The batch's grader: comparisons memoised and sampling seeded per problem key.

    ``cache_size=0`` turns the memo off; results are otherwise identical.
    """

    def __init__(self, pset: ProblemSet, secret: bytes, lang: str | None = None,
                 cache_size: int = DEFAULT_CACHE_ENTRIES):
        super().__init__(pset, secret, lang, memo=ComparisonCache(cache_size),
                         sampling_seeds={e.key: sampling_seed(secret, pset.id, e.key) for e in pset.entries})

    @property
    def stats(self) -> CacheStats:
        return self.memo.stats
