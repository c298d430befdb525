"""Rules of grader/variants.py: the instructor secret and drawing one student's variant.

The secret decides every variant, so the rules around it are pinned with expected values
worked out by hand (strength in bits, the messages a user reads in both languages), and
drawing is pinned with tiny solvers whose every outcome is known by construction.
"""

from __future__ import annotations

import math
import os
import random

import pytest

from grader.bank.model import Problem
from grader.bank.params import draw_params
from grader.bank.solvers import Reject
from grader.errors import AuthorError, InputError, UsageError
from grader.variants import (DEMO_SECRET, MAX_DRAWS, Variant, check_secret, draw_variant, load_secret,
                             new_secret, secret_bits)

TEXT = {"en": "t", "ru": "t"}


def problem(solver, params=None, constraints=(), parts=("a",)) -> Problem:
    from grader.answer_types.registry import ANSWER_TYPES
    from grader.bank.model import Part
    number = ANSWER_TYPES["number"]({})
    return Problem(id="v", family="V", topic="t", title=TEXT, statement=TEXT,
                   params=params if params is not None else {"n": {"type": "int", "min": 1, "max": 9}},
                   constraints=tuple(constraints), solver_name="tests:solver", solver=solver,
                   parts=tuple(Part(p, "number", 1.0, TEXT, number) for p in parts), seed={}, notes="",
                   file="v.yaml")


class TestSecretStrength:
    # secret, bits worked out by hand: (runs of distinct characters) * log2(alphabet spanned)
    @pytest.mark.parametrize("secret, bits", [
        ("", 0.0),
        ("abc", 3 * math.log2(26)),
        ("ABC", 3 * math.log2(26)),
        ("123", 3 * math.log2(10)),
        ("aB1", 3 * math.log2(62)),
        ("a!", 2 * math.log2(26 + 33)),
        ("a é", 3 * math.log2(26 + 33 + 100)),      # é is neither ASCII lower nor punctuation
        ("É", 1 * math.log2(100)),                   # a non-ASCII letter counts only as non-ASCII
        ("aaaa", 1 * math.log2(26)),                 # a run of one character counts once
        ("aaba", 3 * math.log2(26)),                 # runs a, b, a
        ("abab", 4 * math.log2(26)),
    ])
    def test_bits_are_runs_times_log_of_the_alphabet(self, secret, bits):
        """The strength estimate: distinct-character runs times log2 of the classes' alphabet."""
        assert secret_bits(secret.encode()) == pytest.approx(bits)

    def test_a_fresh_secret_is_43_url_safe_characters_of_about_250_bits(self):
        """`grader secret` makes 32 random bytes, URL-safe: 43 characters, well over the warning."""
        value = new_secret()
        assert len(value) == 43 and set(value) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        assert new_secret() != value
        assert secret_bits(value.encode()) > 200


class TestCheckSecret:
    def test_eleven_characters_are_refused_twelve_are_not(self, capsys):
        """At least 12 characters (counted as text, not bytes) or exit 1 naming both numbers."""
        with pytest.raises(InputError) as err:
            check_secret(b"abcdefghijk")
        assert str(err.value).startswith("the instructor secret has 11 characters; at least 12 are needed")
        assert "`grader secret`" in str(err.value)
        assert check_secret(b"Ab1!Cd2@Ef3#") == b"Ab1!Cd2@Ef3#"
        with pytest.raises(InputError, match="has 11 characters"):
            check_secret("ééééééééééé".encode())     # 22 bytes, 11 characters

    def test_a_secret_that_is_not_utf8_is_measured_not_a_crash(self, capsys):
        """Bytes that are no UTF-8 (a binary key file) count as replacement characters: one run here."""
        secret = bytes(range(0x80, 0x80 + 40))              # 40 stray continuation bytes
        assert secret_bits(secret) == pytest.approx(math.log2(100))
        assert check_secret(secret) == secret
        assert "looks weak (about 6 bits" in capsys.readouterr().err

    def test_refusal_in_russian(self):
        """The refusal speaks the set's language."""
        with pytest.raises(InputError) as err:
            check_secret(b"short", "ru")
        assert str(err.value).startswith("секрет преподавателя из 5 символов; нужно не меньше 12")

    def test_unknown_language_falls_back_to_english(self):
        with pytest.raises(InputError, match="^the instructor secret has 5 characters"):
            check_secret(b"short", "de")

    def test_a_weak_secret_warns_once_on_stderr_with_its_bits(self, capsys):
        """Under 128 bits: a one-line warning on stderr (whole bits), the secret still used."""
        weak = b"abcdefghijklmnopqrstuvwxyz"                # 26 * log2(26) = 122.2 bits
        assert check_secret(weak) == weak
        err = capsys.readouterr().err
        assert err == ("grader: warning: the instructor secret looks weak (about 122 bits, fewer than 128); "
                       "`grader secret` makes a strong one\n")
        check_secret(weak, "ru")
        assert capsys.readouterr().err.startswith("grader: предупреждение: секрет преподавателя выглядит "
                                                  "слабым (около 122 бит, меньше 128)")

    def test_a_strong_secret_is_silent(self, capsys):
        strong = b"abcdefghijklmnopqrstuvwxyz0"             # 27 * log2(36) = 139.6 bits
        assert check_secret(strong) == strong
        assert capsys.readouterr().err == ""


class TestLoadSecret:
    STRONG = "Zq8-Lm3_Xv7!Pk2@Rt6#Wn4$Hy"

    def test_the_environment_is_used_without_a_file(self, monkeypatch):
        monkeypatch.setenv("GRADER_SECRET", self.STRONG)
        assert load_secret(None) == self.STRONG.encode()

    def test_a_short_secret_in_the_environment_is_refused(self, monkeypatch):
        monkeypatch.setenv("GRADER_SECRET", "short")
        with pytest.raises(InputError, match="has 5 characters"):
            load_secret(None)

    def test_a_short_secret_in_the_environment_is_refused_in_the_sets_language(self, monkeypatch):
        monkeypatch.setenv("GRADER_SECRET", "short")
        with pytest.raises(InputError, match="^секрет преподавателя из 5 символов"):
            load_secret(None, "ru")

    def test_no_secret_names_both_ways_to_give_one(self, monkeypatch):
        monkeypatch.setenv("GRADER_SECRET", "")
        with pytest.raises(UsageError) as err:
            load_secret(None)
        assert str(err.value) == ("no instructor secret: set GRADER_SECRET or pass --secret-file "
                                  "(variants must not be guessable; `grader secret` makes one)")

    def test_a_private_file_is_silent_a_shared_one_warns(self, tmp_path, capsys):
        """A secret file others can read is used, with a warning naming chmod 600 and its mode."""
        f = tmp_path / "secret"
        f.write_text(self.STRONG + "\n")
        os.chmod(f, 0o600)
        assert load_secret(str(f)) == self.STRONG.encode()
        assert capsys.readouterr().err == ""
        for mode in (0o640, 0o604):
            os.chmod(f, mode)
            assert load_secret(str(f)) == self.STRONG.encode()
            assert capsys.readouterr().err == (f"grader: warning: {f} is readable by other users (mode {mode:o}); "
                                               f"run `chmod 600 {f}`\n")
        os.chmod(f, 0o644)
        load_secret(str(f), "ru")
        assert capsys.readouterr().err.startswith(f"grader: предупреждение: {f} доступен для чтения")

    def test_a_short_secret_file_is_refused(self, tmp_path):
        f = tmp_path / "secret"
        f.write_text("short\n")
        with pytest.raises(InputError, match="has 5 characters"):
            load_secret(str(f))

    def test_an_unreadable_secret_file_is_one_line_naming_it(self, tmp_path):
        """A missing file: InputError with the path, the reason and GRADER_SECRET (no traceback)."""
        missing = tmp_path / "nope"
        with pytest.raises(InputError) as err:
            load_secret(str(missing))
        assert str(err.value) == (f"{missing}: cannot read the secret file (No such file or directory); "
                                  "check the path or set GRADER_SECRET")
        with pytest.raises(InputError) as err:
            load_secret(str(missing), "ru")
        assert str(err.value).startswith(f"{missing}: не удаётся прочитать файл секрета")
        assert err.value.__suppress_context__


def counting(answers: dict, reject_first: int = 0):
    """A solver that rejects its first ``reject_first`` calls and logs every call."""
    calls = []

    def solver(p, *, bug=None, given=None):
        calls.append((p, bug, given))
        if len(calls) <= reject_first:
            raise Reject("again")
        out = {k: (v(p) if callable(v) else v) for k, v in answers.items()}
        if bug:
            out = {k: ("bug", bug) for k in out}
        if given:
            out = {k: ("given", tuple(sorted(given.items()))) for k in out}
        return out
    solver.calls = calls
    return solver


class TestDrawVariant:
    def test_the_draw_is_the_seeded_parameter_stream(self):
        """The parameters are draw_params' first draw from random.Random(seed)."""
        solver = counting({"a": lambda p: p["n"] * 2})
        prob = problem(solver, params={"n": {"type": "int", "min": 1, "max": 10 ** 9}})
        v = draw_variant(prob, 12345)
        expected = draw_params(prob.params, (), random.Random(12345))
        assert v.params == expected and v.seed == 12345 and v.problem is prob
        assert v.answers == {"a": expected["n"] * 2}
        assert solver.calls == [(expected, None, None)]

    def test_a_rejected_draw_is_redrawn_from_the_same_stream(self):
        solver = counting({"a": 1}, reject_first=3)
        prob = problem(solver, params={"n": {"type": "int", "min": 1, "max": 10 ** 9}})
        v = draw_variant(prob, 7)
        rng = random.Random(7)
        draws = [draw_params(prob.params, (), rng) for _ in range(4)]
        assert [c[0] for c in solver.calls] == draws and v.params == draws[3]

    def test_the_solver_gets_a_copy_of_the_parameters(self):
        """A solver that edits its parameters cannot change the variant's."""
        def solver(p, *, bug=None, given=None):
            p["n"] = -1
            return {"a": 1}
        assert draw_variant(problem(solver), 3).params["n"] > 0

    def test_rejecting_every_draw_is_an_author_error_after_max_draws(self):
        solver = counting({"a": 1}, reject_first=10 ** 6)
        with pytest.raises(AuthorError) as err:
            draw_variant(problem(solver), 1)
        assert len(solver.calls) == MAX_DRAWS == 500
        assert err.value.field == "solver" and err.value.file == "v.yaml"
        assert err.value.detail == "the solver rejected 500 draws in a row"

    def test_constraints_that_never_hold_are_an_author_error_on_constraints(self):
        prob = problem(counting({"a": 1}), constraints=("n > 100",))
        with pytest.raises(AuthorError) as err:
            draw_variant(prob, 1)
        assert err.value.field == "constraints" and "constraints" in err.value.detail
        assert err.value.__suppress_context__

    def test_a_solver_crash_names_the_solver_and_the_draw(self):
        def solver(p, *, bug=None, given=None):
            raise ZeroDivisionError("boom")
        with pytest.raises(AuthorError) as err:
            draw_variant(problem(solver), 1)
        assert err.value.field == "solver"
        assert "solver tests:solver raised" in err.value.detail and "ZeroDivisionError: boom" in err.value.detail
        assert "(params: n=" in err.value.detail and err.value.__suppress_context__

    def test_a_part_without_an_answer_is_named(self):
        with pytest.raises(AuthorError) as err:
            draw_variant(problem(counting({"a": 1}), parts=("a", "b", "c")), 1)
        assert err.value.detail == "tests:solver returned no answer for part(s) ['b', 'c']"
        assert err.value.field == "solver"

    def test_bug_runs_made_while_checking_the_draw_are_kept(self):
        """A solver's own bug runs (``answers.bug_runs``) serve the grader without a re-run."""
        class Answers(dict):
            bug_runs = {"slip": {"a": 99}}

        calls = []

        def solver(p, *, bug=None, given=None):
            calls.append(bug)
            return Answers(a=1)
        v = draw_variant(problem(solver), 1)
        assert v.solve(bug="slip") == {"a": 99} and calls == [None]

    def test_no_bug_runs_leaves_an_empty_memo(self):
        v = draw_variant(problem(counting({"a": 1})), 1)
        assert v._by_bug == {}


class TestVariantSolve:
    def make(self):
        solver = counting({"a": 1})
        return Variant(problem(solver), 1, {"n": 3}, {"a": 1}), solver

    def test_without_bug_or_given_it_is_the_reference(self):
        v, solver = self.make()
        assert v.solve() is v.answers and solver.calls == []

    def test_a_bug_run_is_memoised_per_bug(self):
        v, solver = self.make()
        assert v.solve(bug="x") == {"a": ("bug", "x")}
        assert v.solve(bug="x") == {"a": ("bug", "x")}
        assert v.solve(bug="y") == {"a": ("bug", "y")}
        assert solver.calls == [({"n": 3}, "x", None), ({"n": 3}, "y", None)]

    def test_given_values_always_rerun_with_a_copy_of_the_parameters(self):
        v, solver = self.make()
        assert v.solve(given={"a": 5}) == {"a": ("given", (("a", 5),))}
        v.solve(given={"a": 5}, bug="x")
        assert solver.calls == [({"n": 3}, None, {"a": 5}), ({"n": 3}, "x", {"a": 5})]
        assert all(call[0] is not v.params for call in solver.calls)

    def test_a_bug_run_gets_a_copy_of_the_parameters(self):
        v, solver = self.make()
        v.solve(bug="x")
        assert solver.calls[0][0] is not v.params


def test_the_demo_secret_is_public_fixed_and_long_enough():
    """`grader demo` draws with a published constant: the same demo everywhere, and one that
    passes the secret checks (changing it would silently change every demo sheet)."""
    assert DEMO_SECRET == b"demo-secret: public, for the bundled demo only"
    assert check_secret(DEMO_SECRET) == DEMO_SECRET
