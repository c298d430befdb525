"""The verdict cache: an identical answer to the same question is judged once per process.

What "the same question" means is learned, not assumed. While a part is graded, every
student-specific value the grading looks at is recorded by name: the part's reference
value, a misconception's value for that part, the drawn parameters, and what an
earlier part left behind (its raw answer, plus everything *its* grading read) when
follow-through looks at it. A result is then stored under

    the base key   -- problem, problem key, weight, language, sampling seed, part and
                      the raw answer,
    the values it read -- only those, by name.

A later student whose answer has the same base key and the same values for those names
gets the stored result. This is exact, not a heuristic: grading is deterministic, so a
run that agrees with an earlier one on everything the earlier one read takes the same
path, reads nothing else and ends with the same result. Symbolic parts whose reference
does not depend on the draw (``(A + A^T) x``), blank and unreadable answers, and choice
parts share results across the class; a numeric part shares only between students whose
reference value for that part coincides.

Two consequences for the batch:

* Sampling seed. Expression comparisons sample at points drawn from a seed. The batch
  draws it per problem from HMAC(secret, set, problem key), the same for every student
  (and unguessable without the secret), instead of per student: with a per-student seed
  no expression verdict could ever be shared.
* Memory. Both tables are LRU-bounded; a full cache only evicts, it never grows.

A raw answer too large to canonicalise cheaply (a YAML alias bomb, say) bypasses the
cache and is graded as usual.
"""

from __future__ import annotations

import hashlib
import hmac
import sys
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field, fields

from ..answer_types.base import Context, Reading
from ..bank.model import Part, ProblemSet, SetEntry
from .part import ProblemGrader
from .results import PartResult, SubmissionResult
from .submission import SubmissionGrader

MAX_CANON_NODES = 20_000          # nodes visited when canonicalising one raw answer
DEFAULT_CACHE_ENTRIES = 50_000    # results kept per process
INTERNAL_ERROR_TEXT = {
    "en": "The grader failed on this answer (an internal error); it is listed for the instructor's review.",
    "ru": "Проверка этого ответа завершилась внутренней ошибкой; ответ передан преподавателю.",
}


class _TooBig(Exception):
    pass


def canonical(value) -> str:
    """A text that is equal for two values exactly when grading cannot tell them apart.

    Types are kept apart (``1``, ``1.0``, ``"1"`` and ``True`` differ), mapping order is
    kept (a reader may depend on it), floats are written by ``repr`` (round-trip exact).
    Raises ``_TooBig`` past ``MAX_CANON_NODES`` nodes.
    """
    out: list[str] = []
    budget = [MAX_CANON_NODES]

    def walk(v) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            raise _TooBig
        if v is None or isinstance(v, (bool, int, float, str)):
            out.append(f"{type(v).__name__}:{v!r}")
        elif isinstance(v, (list, tuple)):
            out.append(f"{type(v).__name__}[")
            for item in v:
                walk(item)
                out.append(",")
            out.append("]")
        elif isinstance(v, dict):
            out.append("{")
            for k, item in v.items():
                walk(k)
                out.append(":")
                walk(item)
                out.append(",")
            out.append("}")
        else:   # Fraction, date, ...: the type and repr; an unstable repr only costs hits
            out.append(f"{type(v).__module__}.{type(v).__qualname__}:{v!r}")

    walk(value)
    return "".join(out)


def report_internal_error(where: str, exc: BaseException) -> None:
    """A grader bug surfaces on stderr (the verdict itself says only "undecided")."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    print(f"grader: internal error while grading {where}: {text}", file=sys.stderr)


def _digest(*texts: str) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for t in texts:
        data = t.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.digest()


def sampling_seed(secret: bytes, set_id: str, key: str) -> int:
    """The seed expression comparisons of one problem sample with, shared by the class."""
    message = "\x1f".join(("sampling", set_id, key)).encode("utf-8")
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:4], "big")


# ---------------------------------------------------------------------------------
# Recording what a grading looks at.

class _Tracker:
    """Collects the names of the variant-specific values read while a part is graded."""

    def __init__(self):
        self.names: list[tuple] = []
        self.active = False
        self.opaque = False      # something was read that cannot be named: do not store
        self.ungraded = False    # the state of a part not graded here was read

    def read(self, name: tuple) -> None:
        if self.active and name not in self.names:
            self.names.append(name)

    def start(self) -> None:
        self.names, self.active, self.opaque, self.ungraded = [], True, False, False

    def swap(self, names: list) -> list:
        """Collect into ``names`` from now on; returns what was collected so far."""
        before, self.names = self.names, names
        return before

    def stop(self) -> tuple[list[tuple], bool]:
        self.active = False
        return self.names, self.opaque


class _TrackedParams(dict):
    """The drawn parameters; looking inside them (any way a mapping is read) is recorded.

    Passing the mapping along (into a copied Context, say) is not a read; overriding
    ``__iter__`` also sends ``dict(p)``, ``**p`` and ``json.dumps(p)`` through the
    recorded methods.
    """

    def __init__(self, params: dict, tracker: _Tracker):
        super().__init__(params)
        self._tracker = tracker

    def _saw(self):
        self._tracker.read(("params",))


def _recorded(name):
    method = getattr(dict, name)

    def wrapper(self, *args, **kwargs):
        self._saw()
        return method(self, *args, **kwargs)
    wrapper.__name__ = name
    return wrapper


for _name in ("__getitem__", "get", "__iter__", "keys", "values", "items", "__contains__", "__len__",
              "copy", "__eq__", "__ne__", "__repr__", "__or__", "__reversed__"):
    setattr(_TrackedParams, _name, _recorded(_name))
_TrackedParams.__hash__ = None


def _tracked_context(params, seed, lang, tracker) -> Context:
    # The seed is the same for every student of the batch for this problem key and goes
    # into the base key; ``reference`` is tracked by the reading itself (see below).
    return Context(params=_TrackedParams(params, tracker), seed=seed, lang=lang)


class _TrackedAnswers:
    """The solver's answers (plain or with a bug): reading a part's value is recorded."""

    def __init__(self, values: dict, tracker: _Tracker, prefix: tuple):
        self._values, self._tracker, self._prefix = values, tracker, prefix

    def __getitem__(self, part_id):
        self._tracker.read(self._prefix + (part_id,))
        return self._values[part_id]

    def get(self, part_id, default=None):
        self._tracker.read(self._prefix + (part_id,))
        return self._values.get(part_id, default)

    def __contains__(self, part_id):
        self._tracker.read(self._prefix + (part_id,))
        return part_id in self._values


class _TrackedVariant:
    """What ProblemGrader sees of a variant; every variant-specific read is recorded."""

    def __init__(self, variant, tracker: _Tracker):
        self._variant, self._tracker = variant, tracker
        self.problem = variant.problem
        self.answers = _TrackedAnswers(variant.answers, tracker, ("ref",))

    @property
    def params(self):
        return _TrackedParams(self._variant.params, self._tracker)

    @property
    def seed(self):
        self._tracker.read(("student-seed",))
        return self._variant.seed

    def solve(self, *, bug=None, given=None):
        if given:
            self._tracker.read(("params",))        # a re-run from the student's values
            return self._variant.solve(bug=bug, given=given)
        if bug is None:
            return self.answers
        return _TrackedAnswers(self._variant.solve(bug=bug), self._tracker, ("bug", bug))

    def __getattr__(self, name):               # anything else: cannot be keyed, never stored
        self._tracker.opaque = True
        return getattr(self._variant, name)


_READING_FIELDS = frozenset(f.name for f in fields(Reading))


@dataclass(frozen=True)
class _TrackedReading(Reading):
    """A Reading whose contents, when used, record the names it was built from."""

    tracker: _Tracker | None = field(default=None, compare=False, repr=False)
    built_from: tuple = field(default=(), compare=False, repr=False)

    def __getattribute__(self, name):
        if name in _READING_FIELDS:
            tracker = object.__getattribute__(self, "tracker")
            if tracker is not None:
                for n in object.__getattribute__(self, "built_from"):
                    tracker.read(n)
        return object.__getattribute__(self, name)


def _tracked_reading(reading: Reading, tracker: _Tracker, names: tuple) -> _TrackedReading:
    return _TrackedReading(**{f: getattr(reading, f) for f in _READING_FIELDS}, tracker=tracker, built_from=names)


class _TrackedState(dict):
    """The grader's per-part state (readings so far): reading another part's entry is recorded."""

    def __init__(self, tracker: _Tracker, graded: set):
        super().__init__()
        self._tracker, self._graded = tracker, graded

    def _saw(self, part_id) -> None:
        self._tracker.read(("raw", part_id))
        if part_id not in self._graded:
            self._tracker.ungraded = True

    def get(self, part_id, default=None):
        self._saw(part_id)
        return super().get(part_id, default)

    def __getitem__(self, part_id):
        self._saw(part_id)
        return super().__getitem__(part_id)

    def __contains__(self, part_id):
        self._saw(part_id)
        return super().__contains__(part_id)


class _TrackedSet(set):
    """The set of parts judged correct so far; membership tests are recorded like state reads."""

    def __init__(self, state: _TrackedState):
        super().__init__()
        self._state = state

    def __contains__(self, part_id):
        self._state._saw(part_id)
        return super().__contains__(part_id)


class _TrackingProblemGrader(ProblemGrader):
    """ProblemGrader over a tracked variant, context and state, with the class-wide sampling seed.

    What another part's grading left behind (its reading, whether it was correct) is
    named ("raw", part id): it is determined by that part's raw answer together with
    everything *its* grading read, which ``_grade_problem`` adds to the names.
    """

    def __init__(self, key, variant, scale, lang, seed, tracker, graded: set):
        super().__init__(key, variant, scale, lang)
        self.variant = _TrackedVariant(variant, tracker)
        self.ctx = _tracked_context(variant.params, seed, lang, tracker)
        self.readings = _TrackedState(tracker, graded)
        self.correct = _TrackedSet(self.readings)
        self._tracker = tracker
        self._ref_names: dict[str, tuple] = {}

    def reference(self, part: Part):
        """The memoised reference reading, wrapped so that *using* it records what built it.

        Building it reads the solver's value (and whatever ``read_reference`` looks at);
        those names are kept aside and recorded each time the reading's contents are
        used, by this part or a later one. A reading fetched but never looked at (an
        answer that fails to parse before the reference matters) adds nothing.
        """
        names = self._ref_names.get(part.id)
        if names is None:
            outer = self._tracker.swap([])
            try:
                super().reference(part)
            finally:
                names = tuple(self._tracker.swap(outer))
            self._ref_names[part.id] = names
        return _tracked_reading(self.refs[part.id], self._tracker, names)


class _Values:
    """The values of named reads for one student's variant, computed on demand, memoised."""

    def __init__(self, variant, seed: int, given: dict):
        self.variant, self.seed, self.given, self.memo = variant, seed, given, {}

    def value(self, name: tuple) -> str:
        if name not in self.memo:
            kind = name[0]
            if kind == "ref":
                text = canonical(self.variant.answers.get(name[1]))
            elif kind == "bug":
                text = canonical(self.variant.solve(bug=name[1]).get(name[2]))
            elif kind == "raw":
                text = canonical(self.given.get(name[1]))
            elif kind == "params":
                text = canonical(self.variant.params)
            elif kind == "student-seed":
                text = str(self.variant.seed)
            else:
                raise KeyError(name)
            self.memo[name] = text
        return self.memo[name]


# ---------------------------------------------------------------------------------
# The cache.

class _LRU(OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def get_recent(self, key):
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    bypassed: int = 0     # not cacheable (too large to key, or an internal error)

    @property
    def lookups(self) -> int:
        return self.hits + self.misses + self.bypassed

    @property
    def hit_rate(self) -> float:
        return self.hits / self.lookups if self.lookups else 0.0

    def to_json(self) -> dict:
        return {"hits": self.hits, "misses": self.misses, "bypassed": self.bypassed,
                "hit_rate": round(self.hit_rate, 4)}


class VerdictCache:
    """Two LRU tables: base key -> the name lists seen with it; full key -> result."""

    MAX_SHAPES = 4    # distinct name lists remembered per base key

    def __init__(self, size: int = DEFAULT_CACHE_ENTRIES):
        self.shapes = _LRU(max(size, 1))
        self.results = _LRU(max(size, 1))
        self.stats = CacheStats()
        self.enabled = size > 0

    @staticmethod
    def _full(base: bytes, names: tuple, values: _Values) -> bytes:
        texts = [repr(names)] + [values.value(n) for n in names]
        return _digest(base.hex(), *texts)

    def lookup(self, base: bytes, values: _Values) -> PartResult | None:
        for names in self.shapes.get_recent(base) or ():
            try:
                full = self._full(base, names, values)
            except Exception:  # noqa: BLE001 -- a value that cannot be computed: just a miss
                continue
            hit = self.results.get_recent(full)
            if hit is not None:
                return hit
        return None

    def store(self, base: bytes, names: tuple, values: _Values, result: PartResult) -> None:
        shapes = self.shapes.get_recent(base) or ()
        if names not in shapes:
            self.shapes.put(base, ((names,) + shapes)[: self.MAX_SHAPES])
        self.results.put(self._full(base, names, values), result)


def follow_closure(part: Part, problem) -> tuple[str, ...]:
    """Every earlier part this one follows, directly or through others, in part order."""
    wanted, stack = set(), list(part.follows)
    while stack:
        dep = stack.pop()
        if dep not in wanted:
            wanted.add(dep)
            stack.extend(problem.part(dep).follows)
    return tuple(p.id for p in problem.parts if p.id in wanted)


class CachingSubmissionGrader(SubmissionGrader):
    """SubmissionGrader whose part verdicts go through a VerdictCache (see module docstring).

    ``cache_size=0`` turns the cache off; grading is otherwise identical (same sampling
    seed), so cached and uncached batches give byte-identical results.
    """

    def __init__(self, pset: ProblemSet, secret: bytes, lang: str | None = None,
                 cache_size: int = DEFAULT_CACHE_ENTRIES):
        super().__init__(pset, secret, lang)
        self.cache = VerdictCache(cache_size)
        self.seeds = {e.key: sampling_seed(secret, pset.id, e.key) for e in pset.entries}
        self.closures = {(e.key, p.id): follow_closure(p, e.problem)
                         for e in pset.entries for p in e.problem.parts}

    @property
    def stats(self) -> CacheStats:
        return self.cache.stats

    def grade_answers(self, student: str, answers: dict, source: str = "",
                      warnings: tuple = ()) -> SubmissionResult:
        parts: list[PartResult] = []
        for entry, variant in self.variants(student):
            given = answers.get(entry.key, {})
            parts.extend(self._grade_problem(entry, variant, given))
        return SubmissionResult(student=student, source=source, status="ok", parts=tuple(parts),
                                max=self.pset.points, warnings=tuple(warnings))

    def _grade_problem(self, entry: SetEntry, variant, given: dict) -> list[PartResult]:
        """Each part from the cache or graded here; see the module docstring for the keys."""
        problem = entry.problem
        scale = entry.points / problem.points if problem.points else 0.0
        seed = self.seeds[entry.key]
        values = _Values(variant, seed, given)
        tracker = _Tracker()
        graded: set = set()                 # parts graded by `grader` (its state is theirs)
        reads: dict[str, set] = {}          # part id -> every name its result depends on
        grader: _TrackingProblemGrader | None = None
        out = []

        def grade_here(part: Part) -> tuple[PartResult, bool]:
            tracker.start()
            try:
                result = grader.grade(part, given.get(part.id))
                ok = True
            except Exception as exc:  # noqa: BLE001 -- a grader bug: undecided, never silently wrong
                report_internal_error(f"{entry.key}.{part.id}", exc)
                result = PartResult(key=entry.key, part=part.id, verdict="undecided", score=0.0,
                                    max=round(part.points * scale, 6),
                                    check=f"internal-error:{type(exc).__name__}",
                                    feedback=INTERNAL_ERROR_TEXT.get(self.lang, INTERNAL_ERROR_TEXT["en"]))
                ok = False
            names, opaque = tracker.stop()
            depends = set(names)
            for name in names:              # another part's state: what it was built from, too
                if name[0] == "raw" and name[1] in reads:
                    depends |= reads[name[1]]
            graded.add(part.id)
            reads[part.id] = depends
            return result, ok and not opaque

        for part in problem.parts:
            try:
                base = _digest(self.lang, entry.key, repr(entry.points), str(seed), problem.id, part.id,
                               canonical(given.get(part.id)))
            except _TooBig:
                base = None
            result = None
            if base is not None and self.cache.enabled:
                result = self.cache.lookup(base, values)
            if result is not None:
                self.cache.stats.hits += 1
                out.append(result)
                continue
            if grader is None:
                grader = _TrackingProblemGrader(entry.key, variant, scale, self.lang, seed, tracker, graded)
            for dep in self.closures[(entry.key, part.id)]:   # the state it may read, in place
                if dep not in graded:
                    grade_here(problem.part(dep))
            result, cacheable = grade_here(part)
            if tracker.ungraded:            # it read a part it does not follow: all earlier ones, again
                for earlier in problem.parts[: problem.parts.index(part)]:
                    if earlier.id not in graded:
                        grade_here(earlier)
                result, cacheable = grade_here(part)
            if base is None or not cacheable or not self.cache.enabled:
                if self.cache.enabled:
                    self.cache.stats.bypassed += 1
                else:
                    self.cache.stats.misses += 1
            else:
                self.cache.stats.misses += 1
                try:
                    self.cache.store(base, tuple(sorted(reads[part.id])), values, result)
                except Exception:  # noqa: BLE001 -- a value that cannot be keyed: not stored
                    pass
            out.append(result)
        return out
