"""Grading one part: an ordered chain of checks, each recorded in the result.

1. no answer                         -> missing; the file's time budget used up -> undecided
2. unreadable / wrong shape or type  -> invalid (the message says what was expected)
3. equal to the reference            -> correct (or partial, when the type gives partial credit)
4. checks could not settle it        -> undecided (0 points, listed for review)
5. equal to the reference re-run from the student's own earlier parts -> follow-through credit
6. equal to a misconception          -> incorrect with that misconception's feedback
7. otherwise                         -> incorrect, with what the type can say about it
"""

from __future__ import annotations


from ..bank.solvers import Reject

from ..answer_types.base import Comparison, Context, Reading
from ..bank.model import Part
from ..i18n import localize
from ..lang import AnswerError, sympy_worker
from ..variants import Variant
from . import follow
from .results import PartResult

FOLLOW_TEXT = {
    "en": "Judged from your own answer to {parts}: correct given that value.",
    "ru": "Проверено от вашего ответа в {parts}: верно при этом значении.",
}
BUDGET_TEXT = {
    "en": "Not checked: this answer file used up its time budget before this part; "
          "it is listed for the instructor's review.",
    "ru": "Не проверено: время на проверку этого файла ответов закончилось раньше этой части; "
          "ответ передан преподавателю.",
}
UNDECIDED_TEXT = {
    "en": "The checks could not settle this answer; it is listed for the instructor's review.",
    "ru": "Автоматическая проверка не смогла решить; ответ передан преподавателю.",
}


class _OutOfTime(Exception):
    """A timed-out comparison: returned, never memoised (another file may have the time)."""

    def __init__(self, outcome: Comparison):
        super().__init__(outcome.check)
        self.outcome = outcome


class ProblemGrader:
    """Grades the parts of one problem variant for one student, in order."""

    def __init__(self, key: str, variant: Variant, scale: float, lang: str, *,
                 sampling_seed: int | None = None, memo=None):
        """``sampling_seed``: where expression checks sample (default: from the variant's seed).
        ``memo``: a ``grading.cache.ComparisonCache`` shared across students, or None."""
        self.key = key
        self.variant = variant
        self.scale = scale
        self.lang = lang
        seed = variant.seed & 0xFFFFFFFF if sampling_seed is None else sampling_seed
        self.ctx = Context(params=variant.params, seed=seed, lang=lang)
        self.memo = memo
        self.raw: dict[str, object] = {}
        self.readings: dict[str, Reading] = {}     # the student's readable answers so far
        self.refs: dict[str, Reading] = {}
        self.correct: set[str] = set()

    def reference(self, part: Part) -> Reading:
        if part.id not in self.refs:
            self.refs[part.id] = part.answer.read_reference(self.variant.answers[part.id], self.ctx)
        return self.refs[part.id]

    def grade(self, part: Part, raw) -> PartResult:
        points = part.points * self.scale
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return self._result(part, "missing", 0.0, "none", "")
        left = sympy_worker.time_left()
        if left is not None and left <= 0:
            return self._result(part, "undecided", 0.0, "time-budget", BUDGET_TEXT[self.lang])
        self.raw[part.id] = raw
        ref = self.reference(part)
        ctx = self.ctx._replace(reference=ref)
        try:
            reading = part.answer.read(raw, ctx)
        except AnswerError as exc:
            return self._result(part, "invalid", 0.0, "parse", exc.text(self.lang))
        interpreted = {"plain": reading.plain, "latex": reading.latex}
        try:
            first = self._compare(part, self.variant.answers[part.id], ref, reading)
        except AnswerError as exc:
            # readable but the wrong shape or kind: invalid, unless it is a known slip
            named = self._misconception(part, reading, interpreted, 0.0)
            return named or self._result(part, "invalid", 0.0, "shape", exc.text(self.lang), interpreted)
        self.readings[part.id] = reading
        if first.score is not None and first.score >= 1.0:
            self.correct.add(part.id)
            return self._result(part, "correct", points, first.check, "", interpreted)
        if first.score is None:
            why = UNDECIDED_TEXT[self.lang] + (" " + first.message if first.message else "")
            return self._result(part, "undecided", 0.0, first.check, why, interpreted)
        follow = self._follow_through(part, reading)
        if follow is not None:
            return follow
        named = self._misconception(part, reading, interpreted, first.score)
        if named is not None:
            return named
        if first.score > 0:
            return self._result(part, "partial", points * first.score, first.check, first.message, interpreted)
        return self._result(part, "incorrect", 0.0, first.check, first.message, interpreted)

    def _misconception(self, part: Part, reading: Reading, interpreted: dict, floor: float):
        """The first misconception the answer matches, as a result; None when none does."""
        for m in part.misconceptions:
            comp = self._compare_with_bug(part, m.bug, reading)
            if comp is not None and comp.score is not None and comp.score >= 1.0:
                # naming the slip never costs the partial credit the answer type would give anyway
                credit = max(m.credit, floor)
                return self._result(part, "partial" if credit > 0 else "incorrect",
                                    part.points * self.scale * credit, f"misconception:{m.bug}",
                                    m.feedback[self.lang], interpreted, m.bug)
        return None

    def _compare_with_bug(self, part: Part, bug: str, reading: Reading) -> Comparison | None:
        try:
            value = self.variant.solve(bug=bug).get(part.id)
        except Exception:  # noqa: BLE001 - an author's slip that fails on this draw matches
            return None    # no answer; `grader validate` names it, the student is still graded
        if value is None:
            return None
        try:
            return self._compare(part, value, None, reading)
        except AnswerError:
            return None

    def _follow_through(self, part: Part, reading: Reading) -> PartResult | None:
        """Re-run the solver from the student's earlier values when they were wrong but
        plausible, and only when that re-run leaves the later part real work (follow.py)."""
        if not part.follows:
            return None
        given, values = {}, {}
        for dep in part.follows:
            if dep in self.correct:
                continue
            earlier = self.readings.get(dep)
            if earlier is None:
                return None
            dep_part = self.variant.problem.part(dep)
            if not self._plausible(dep_part, earlier):
                return None
            given[dep] = dep_part.answer.solver_value(earlier)
            values[dep] = earlier.value
        if not given:
            return None
        try:
            rerun = self.variant.solve(given=given)
            if self._trivial(part, rerun[part.id], values):
                return None
            comp = self._compare(part, rerun[part.id], None, reading)
        except (Reject, AnswerError, ArithmeticError, ValueError, KeyError):
            return None  # the student's earlier value makes the later part meaningless
        if comp.score is None or comp.score < 1.0:
            return None
        deps = ", ".join(given)
        self.correct.add(part.id)
        points = part.points * self.scale * part.follow_credit
        verdict = "correct" if part.follow_credit >= 1.0 else "partial"
        return self._result(part, verdict, points, f"follow-through:{deps}",
                            FOLLOW_TEXT[self.lang].format(parts=deps),
                            {"plain": reading.plain, "latex": reading.latex})

    def _plausible(self, part: Part, earlier: Reading) -> bool:
        """Question 1 of follow.py: may this earlier answer stand in for the reference?"""
        ref = self.reference(part)
        if not part.answer.plausible(earlier, ref):
            return False
        for m in part.misconceptions:
            comp = self._compare_with_bug(part, m.bug, earlier)
            if comp is not None and comp.score is not None and comp.score >= 1.0:
                return True
        ans, want = follow.numbers(earlier.value), follow.numbers(ref.value)
        if ans is None or want is None:
            return True   # not numeric: the type's own test is all there is
        params = self.variant.params
        return not follow.degenerate(ans, want, params) and follow.passes_guard(part.follow_guard, ans, want, params)

    def _trivial(self, part: Part, value, earlier: dict) -> bool:
        """Question 2 of follow.py: the re-run lands on an earlier value or a start value."""
        ref = part.answer.read_reference(value, self.ctx)
        candidates = list(earlier.values())
        for dep in earlier:
            start = follow.start_value(self.variant.problem.part(dep).follow_guard, self.variant.params)
            if start is not None:
                candidates.append(start)
        for cand in candidates:
            arr = follow.numbers(cand)
            if arr is None:
                continue
            try:
                same = part.answer.compare(ref, part.answer.read_reference(arr.tolist(), self.ctx), self.ctx)
            except (AnswerError, ArithmeticError, ValueError, TypeError):
                continue   # not comparable with this part (another shape or kind)
            if same.score is not None and same.score >= 1.0:
                return True
        return False

    def _compare(self, part: Part, value, against: Reading | None, reading: Reading) -> Comparison:
        """Compare the student's reading with a solver value (reference, bug or re-run).

        Memoised when a memo is given: the outcome depends only on the part, that value,
        the raw answer, the sampling seed and, for checks that read them, the parameters.
        """
        def compute():
            other = against if against is not None else part.answer.read_reference(value, self.ctx)
            outcome = part.answer.compare(other, reading, self.ctx)
            if outcome.score is None and outcome.check == "timeout":
                raise _OutOfTime(outcome)   # depends on this file's clock, not on the inputs
            return outcome
        try:
            if self.memo is None:
                return compute()
            params = self.ctx.params if part.answer.reads_params else None
            return self.memo.compare((self.variant.problem.id, part.id, self.ctx.seed),
                                     (value, self.raw[part.id], params), compute)
        except _OutOfTime as timed_out:
            return timed_out.outcome

    def _result(self, part, verdict, score, check, feedback, interpreted=None, misconception=None):
        return PartResult(key=self.key, part=part.id, verdict=verdict, score=round(score, 6),
                          max=round(part.points * self.scale, 6), check=check,
                          feedback=localize(feedback, self.lang),   # engine messages are English
                          interpreted=interpreted, misconception=misconception)
