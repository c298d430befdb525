"""Rules of the equivalence chain (grader/lang/equivalence.py) that test_equivalence.py's
tables leave open: declarations and their messages, the constant check, the sample points
each kind of matrix gets, the answer's noise bound, the detail of a difference, and the
symbols the sympy fallback is given.

Expected values are worked out from the rule each test states, never read back.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.lang import equivalence as eq
from grader.lang import parse
from grader.lang.equivalence import (Declarations, MatVarSpec, Outcome, VarSpec, compare_matrix, compare_scalar,
                                     sympy_equal)


def scalar(ref, ans, variables, **kw):
    names = {n: () for n in variables}
    return compare_scalar(parse(ref, names=names), parse(ans, names=names), variables, **kw)


# -- declarations ---------------------------------------------------------------------------

class TestDeclarations:
    def test_yaml_style_specs_and_their_defaults(self):
        """A shape makes a matrix (general, entries in [-2, 2]); no shape a scalar in [-2, 2]."""
        specs = eq._specs({"A": {"shape": [2, 2]}, "B": {"shape": [3, 3], "kind": "spd", "domain": [0, 1]},
                           "x": {}, "y": None, "s": {"equals": "sigmoid(x)", "domain": [0, 1]}, "z": {"shape": []}})
        assert specs == {"A": MatVarSpec((2, 2), "general", (-2.0, 2.0)), "B": MatVarSpec((3, 3), "spd", (0.0, 1.0)),
                         "x": VarSpec((-2.0, 2.0)), "y": VarSpec(), "s": VarSpec((0.0, 1.0), "sigmoid(x)"),
                         "z": VarSpec()}
        assert VarSpec() == VarSpec((-2.0, 2.0), None) and MatVarSpec((2, 2)).domain == (-2.0, 2.0)

    @pytest.mark.parametrize("variables, message", [
        ({"x": VarSpec((1.0, 1.0))}, "variable 'x': the domain must be [low, high] with low < high, got [1.0, 1.0]"),
        ({"x": {"domain": [2, 1]}}, "variable 'x': the domain must be [low, high] with low < high, got [2.0, 1.0]"),
        ({"A": MatVarSpec((2, 2), "orthogonal")},
         "variable 'A': unknown kind 'orthogonal' (expected one of general, symmetric, spd, invertible, diagonal)"),
        ({"A": MatVarSpec((2, 3), "symmetric")}, "variable 'A': a symmetric matrix must be square, got shape (2, 3)"),
        ({"A": MatVarSpec((2, 2), domain=(0.0, 0.0))},
         "variable 'A': the domain must be [low, high] with low < high, got [0.0, 0.0]"),
        ({"a": VarSpec(equals="b + 1"), "b": VarSpec(equals="a"), "c": VarSpec()},
         "the 'equals' definitions of a, b depend on each other in a cycle"),
    ])
    def test_bad_declarations_say_what_is_wrong(self, variables, message):
        with pytest.raises(ValueError) as caught:
            specs = eq._specs(variables)                 # the domains and kinds
            eq._dependents(specs, eq._names(specs))      # the 'equals' definitions
        assert str(caught.value) == message

    def test_a_general_rectangular_matrix_is_fine(self):
        assert Declarations({"A": MatVarSpec((2, 3))}).names == {"A": (2, 3)}

    def test_dependent_variables_come_in_an_order_where_each_needs_only_earlier_ones(self):
        specs = eq._specs({"c": VarSpec(equals="b + 1"), "a": VarSpec(), "b": VarSpec(equals="sigmoid(a)")})
        assert [name for name, _ in eq._dependents(specs, eq._names(specs))] == ["b", "c"]
        assert scalar("c", "sigmoid(a) + 1", {"c": VarSpec(equals="b + 1"), "a": VarSpec(),
                                              "b": VarSpec(equals="sigmoid(a)")}).equal is True

    def test_declarations_are_equal_by_content_and_never_equal_other_things(self):
        d = Declarations({"x": VarSpec()})
        assert d == Declarations({"x": VarSpec((-2.0, 2.0))}) and d != {"x": VarSpec()}
        assert d != Declarations({"x": VarSpec((-1.0, 2.0))}) and d != Declarations({"y": VarSpec()})


# -- the chain's entry checks -----------------------------------------------------------------

class TestChain:
    def test_a_matrix_reference_is_not_a_scalar_comparison(self):
        names = {"A": (2, 2)}
        with pytest.raises(ValueError) as caught:
            compare_scalar(parse("A", names=names), parse("A", names=names), {"A": MatVarSpec((2, 2))})
        assert str(caught.value) == "compare_scalar got a reference that is a 2×2 matrix"

    def test_a_one_by_one_reference_is_a_scalar(self):
        names = {"x": (2, 1)}
        out = compare_scalar(parse("x^T x", names=names), parse("x^T x", names=names), {"x": MatVarSpec((2, 1))})
        assert out.equal is True

    @pytest.mark.parametrize("ref, ans, expected", [
        ("exp(100) + 1", "exp(100)", Outcome(False, "exact", "different constants")),
        ("2/4", "1/2", Outcome(True, "exact", "equal constants")),
        ("10^300 + 1 - 10^300", "1", Outcome(True, "exact", "equal constants")),
    ])
    def test_two_constants_are_compared_exactly(self, ref, ans, expected):
        """No sample point changes a constant: its rounded float is never the judge."""
        assert compare_scalar(parse(ref), parse(ans), {}) == expected

    def test_outcomes(self):
        """Outcome is a value: equal by verdict, check and detail; shown with all three; not hashable."""
        assert repr(Outcome(True, "sampling", "agrees")) == "Outcome(True, 'sampling', 'agrees')"
        assert Outcome(None, "timeout") == Outcome(None, "timeout", "")
        assert Outcome(True, "sampling") != Outcome(True, "sympy") and Outcome(True, "x") != (True, "x", "")
        assert Outcome(False, "sampling", "a") != Outcome(False, "sampling", "b")
        with pytest.raises(TypeError):
            hash(Outcome(True, "sampling"))

    def test_agreement_and_difference_details(self):
        same = scalar("(x + 1)^2", "x^2 + 2x + 1", {"x": VarSpec()})
        assert (same.equal, same.check, same.detail) == (True, "sampling", "agrees at 16 sample points")
        wrong = scalar("x", "x + 1", {"x": VarSpec((3.0, 4.0))})
        assert wrong.detail.startswith("differs at 16 of 16 usable sample points, e.g. at x=")
        assert 3.0 <= float(wrong.detail.rsplit("x=", 1)[1]) <= 4.0

    def test_the_difference_is_named_at_the_first_differing_point(self):
        """Only scalar variables are named; the point named is one where the two differ."""
        out = scalar("abs(x)", "x", {"x": VarSpec((-1.0, 1.0))})
        shown = float(out.detail.rsplit("x=", 1)[1])
        assert out.equal is False and shown < 0
        count = int(out.detail.split("differs at ")[1].split(" of ")[0])
        assert 0 < count < 16
        names = {"A": (2, 2)}
        m = compare_matrix(parse("A", names=names), parse("A^T", names=names), {"A": MatVarSpec((2, 2))})
        assert m.detail == "differs at 16 of 16 usable sample points"
        both = scalar("x + y", "x - y", {"x": VarSpec((1.0, 2.0)), "y": VarSpec((3.0, 4.0))}).detail
        where = both.split(", e.g. at ")[1].split(", ")
        assert [w.split("=")[0] for w in where] == ["x", "y"]
        assert 1.0 <= float(where[0][2:]) <= 2.0 and 3.0 <= float(where[1][2:]) <= 4.0


# -- the answer's own rounding -------------------------------------------------------------------

@pytest.mark.parametrize("steps, shape, factor", [
    (0, (), 16), (3, (), 16), (12, (), 16), (13, (), 17), (30, (), 34),      # at least 16 steps
    (0, (3, 1), 16), (10, (3, 1), 22), (10, (2, 5), 30),                     # plus 4 per width
])
def test_the_noise_bound_is_per_step_and_per_width(steps, shape, factor):
    """NOISE_PER_STEP (1e-15) times max(steps + 4 * widest dimension, 16) times the magnitude."""
    mag = np.array([2.0, 0.5])
    assert np.allclose(eq._noise(mag, steps, shape), 1e-15 * factor * mag, rtol=1e-12, atol=0)


@pytest.mark.parametrize("z, real", [
    (1.0 + 0j, True), (1.0 + 1e-10j, True), (1.0 + 2e-9j, False), (1000.0 + 5e-7j, True), (1000.0 + 2e-6j, False),
    (np.inf + 0j, False), (np.nan + 0j, False),
])
def test_a_point_is_real_when_its_imaginary_part_is_negligible(z, real):
    """|imag| <= 1e-9 max(1, |real|), and finite."""
    values = np.array([z, 1j])                     # some imaginary part: the full test runs
    assert eq._real_finite(values)[0] == real and not eq._real_finite(values)[1]


# -- sample points -------------------------------------------------------------------------------

class TestSamplePoints:
    def draw(self, spec, points=64, seed=5):
        return eq._draw_matrices(spec, np.random.default_rng(seed), points)

    def test_general_entries_lie_in_the_domain(self):
        m = self.draw(MatVarSpec((2, 3), domain=(1.0, 2.0)))
        assert m.shape == (64, 2, 3) and m.min() >= 1.0 and m.max() <= 2.0

    def test_each_kind_is_drawn_with_its_property(self):
        sym = self.draw(MatVarSpec((3, 3), "symmetric"))
        assert np.allclose(sym, np.swapaxes(sym, 1, 2)) and not np.allclose(sym[:, 0, 1], 0)
        spd = self.draw(MatVarSpec((3, 3), "spd"))
        assert np.allclose(spd, np.swapaxes(spd, 1, 2)) and np.linalg.eigvalsh(spd).min() >= 0.5 - 1e-9
        diag = self.draw(MatVarSpec((3, 3), "diagonal"))
        off = diag * (1 - np.eye(3))
        assert not off.any() and np.count_nonzero(np.diagonal(diag, axis1=1, axis2=2)) == 64 * 3
        general = self.draw(MatVarSpec((3, 3)))
        assert not np.allclose(general, np.swapaxes(general, 1, 2))

    @pytest.mark.parametrize("kind", ["general", "symmetric", "invertible", "diagonal"])
    def test_square_samples_are_well_conditioned(self, kind):
        """Ill-conditioned draws are redrawn: inverses and determinants stay meaningful."""
        m = self.draw(MatVarSpec((3, 3), kind, domain=(-1.0, 1.0)), points=256)
        assert np.linalg.cond(m).max() <= eq.MAX_CONDITION

    def test_ill_conditioned_samples_are_replaced_by_fresh_draws_and_the_rest_kept(self):
        """20 000 general 2x2 draws hold a few with cond > MAX_CONDITION: those are redrawn, the rest kept."""
        first = np.random.default_rng(0).uniform(-2.0, 2.0, (20_000, 2, 2))
        bad = np.linalg.cond(first) > eq.MAX_CONDITION
        assert 0 < bad.sum() < 20                               # the case the redraw exists for
        m = self.draw(MatVarSpec((2, 2)), points=20_000, seed=0)
        assert np.isfinite(m).all() and np.linalg.cond(m).max() <= eq.MAX_CONDITION
        assert np.array_equal(m[~bad], first[~bad]) and not np.array_equal(m[bad], first[bad])

    def test_symmetric_entries_lie_in_the_domain(self):
        """A symmetric sample averages a draw with its transpose: its entries stay in the declared range."""
        m = self.draw(MatVarSpec((3, 3), "symmetric", domain=(1.0, 2.0)), points=256)
        assert np.array_equal(m, np.swapaxes(m, 1, 2)) and m.min() >= 1.0 and m.max() <= 2.0
        assert m.min() < 1.1 and m.max() > 1.9                  # and fill it

    def test_the_keys_own_formula_agrees_at_every_point_and_says_so(self):
        """The answer is the key's formula: equal by sampling, and the detail counts the points."""
        out = scalar("x^2 + 1", "x^2 + 1", {"x": VarSpec()})
        assert (out.equal, out.check, out.detail) == (True, "sampling", f"agrees at {eq.POINTS} sample points")

    def test_a_difference_hidden_in_cancellation_noise_is_found_at_high_precision(self):
        """x + 1e-9 written as (x + 1e8 x^2) - 1e8 x^2 + 1e-9: floats cannot tell, high precision can."""
        out = scalar("x", "(x + 10^8*x^2) - 10^8*x^2 + 10^(-9)", {"x": VarSpec((1.0, 2.0))})
        assert (out.equal, out.check, out.detail) == (False, "sampling",
                                                      "differs at a sample point evaluated at high precision")

    def test_without_a_seed_a_comparison_samples_as_seed_zero(self):
        """compare_scalar's default seed is 0, like compare_matrix's: the same points, the same witness."""
        unseeded = scalar("x^2", "x^3", {"x": VarSpec()})
        assert unseeded.detail == scalar("x^2", "x^3", {"x": VarSpec()}, seed=0).detail
        assert unseeded.detail != scalar("x^2", "x^3", {"x": VarSpec()}, seed=1).detail

    def test_spd_samples_are_scaled_by_the_size(self):
        """m m^T / rows + 0.5 I: the eigenvalues stay of order one whatever the size."""
        spd = self.draw(MatVarSpec((4, 4), "spd", domain=(1.0, 1.0 + 1e-12)))
        assert np.allclose(spd, np.ones((4, 4)) + 0.5 * np.eye(4))

    def test_environments_hold_every_variable_at_every_point(self):
        declared = Declarations({"x": VarSpec((0.0, 1.0)), "s": VarSpec(equals="2 x"), "A": MatVarSpec((2, 2))})
        env = eq._environment(declared, 0, 1, 16)
        assert set(env) == {"x", "s", "A"} and env["A"].shape == (16, 2, 2)
        assert np.allclose(env["s"], 2 * env["x"]) and not env["x"].flags.writeable

    def test_a_second_batch_is_drawn_when_too_few_points_are_usable(self):
        """log(x) over [-1, 0.25]: a fifth of the points are usable, too few of the first 16, so the second,
        larger batch of EXTRA_POINTS decides."""
        out = scalar("log(x) + x", "x + log(x)", {"x": VarSpec((-1.0, 0.25))})
        assert out.equal is True and out.check == "sampling"
        count = int(out.detail.split("agrees at ")[1].split(" ")[0])
        assert eq.MIN_USABLE <= count < eq.EXTRA_POINTS


# -- the sympy fallback's symbols -------------------------------------------------------------------

class TestSympySymbols:
    @pytest.mark.parametrize("domain, assumption", [
        ((0.5, 3.0), "positive"), ((1e-9, 1.0), "positive"), ((-3.0, -0.5), "negative"),
        ((0.0, 1.0), "real"), ((-1.0, 0.0), "real"), ((-1.0, 1.0), "real"),
    ])
    def test_a_scalar_keeps_the_sign_its_whole_domain_has(self, domain, assumption):
        import sympy
        symbol = eq._symbolic_scalar("x", VarSpec(domain), sympy)
        assert symbol.name == "x" and symbol.is_real
        assert (symbol.is_positive, symbol.is_negative) == {"positive": (True, False), "negative": (False, True),
                                                            "real": (None, None)}[assumption]

    def test_matrix_entries_follow_the_kind(self):
        import sympy
        general = eq._symbolic_matrix("A", MatVarSpec((2, 3)), sympy)
        assert general.shape == (2, 3) and str(general[1, 0]) == "A_21" and general[0, 1] != general[1, 0]
        assert all(e.is_real for e in general)
        sym = eq._symbolic_matrix("S", MatVarSpec((2, 2), "spd"), sympy)
        assert sym[0, 1] == sym[1, 0] and str(sym[1, 0]) == "S_12"
        diag = eq._symbolic_matrix("D", MatVarSpec((2, 2), "diagonal"), sympy)
        assert diag[0, 1] == 0 and diag[1, 0] == 0 and str(diag[1, 1]) == "D_22"

    def test_dependent_variables_reach_sympy_as_their_formula(self):
        specs = {"t": VarSpec(), "s": VarSpec(equals="sigmoid(t)")}
        names = {"t": (), "s": ()}
        assert sympy_equal(parse("s (1 - s)", names=names), parse("sigmoid(t) - sigmoid(t)^2", names=names), specs)
        assert not sympy_equal(parse("s", names=names), parse("t", names=names), specs)

    def test_a_dependent_formula_is_read_in_the_declared_names(self):
        """s = tu over t and u is s = t*u, in the sympy fallback as in sampling."""
        specs = {"t": VarSpec(), "u": VarSpec(), "s": VarSpec(equals="tu")}
        names = {"t": (), "u": (), "s": ()}
        assert sympy_equal(parse("s", names=names), parse("t u", names=names), specs)

    def test_two_matrices_are_two_sets_of_symbols(self):
        specs = {"A": MatVarSpec((2, 2)), "B": MatVarSpec((2, 2))}
        names = {"A": (2, 2), "B": (2, 2)}
        assert not sympy_equal(parse("A", names=names), parse("B", names=names), specs)
        assert sympy_equal(parse("A + B", names=names), parse("B + A", names=names), specs)

    def test_every_entry_of_a_matrix_difference_must_vanish(self):
        specs = {"A": MatVarSpec((2, 2))}
        names = {"A": (2, 2)}
        assert sympy_equal(parse("A + A", names=names), parse("2 A", names=names), specs)
        assert not sympy_equal(parse("A", names=names), parse("A + [[0, 0], [0, 1]]", names=names), specs)
