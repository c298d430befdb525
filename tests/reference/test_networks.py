"""Family A (networks as functions): reference solvers against independent derivations.

Expected values come from hand computations written out in the tests, numpy arrays
built to the network's shapes, exact Fractions, or sympy on our own formulas; the
property checks are tested with several valid and invalid answers chosen by hand.
"""

from fractions import Fraction
from itertools import product

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from reference import Reject
from reference import networks as nw

SEPARABLE = [[0, 0, 0, 1], [0, 1, 1, 1], [1, 1, 1, 0], [1, 0, 0, 0],
             [0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 1, 1], [1, 1, 0, 1]]
XOR, XNOR = [0, 1, 1, 0], [1, 0, 0, 1]
ROWS = [(0, 0), (0, 1), (1, 0), (1, 1)]


def as_answer(value):
    """What the grader hands a check for numbers written exactly: Fractions (object arrays)."""
    from grader.answer_types.structured import exact_array, exact_scalar

    def one(v):
        exact = exact_array(v, np.shape(v)) if isinstance(v, list) else exact_scalar(v)
        return np.asarray(v, dtype=float) if exact is None else exact
    if isinstance(value, dict):
        return {k: one(v) for k, v in value.items()}
    return one(value)


def exact_step_table(w, b, inputs):
    """Truth table of step(w . x + b) with step(0) = 0, in exact decimal arithmetic."""
    ex = [Fraction(str(t)) for t in w]
    return [int(sum(wi * xi for wi, xi in zip(ex, x)) + Fraction(str(b)) > 0) for x in inputs]


# ---------------------------------------------------------------- A7


class TestMlpParamCount:
    """mlp_param_count: counts per layer, totals, halved hidden layers."""

    SEED = {"n_in": 12, "h1": 300, "h2": 200, "h3": 100, "n_out": 1}

    def test_seed_network_by_hand(self):
        """12-300-200-100-1: (12+1)300 + (300+1)200 + (200+1)100 + (100+1)1."""
        out = nw.mlp_param_count(self.SEED)
        assert out["layers"] == [3900, 60200, 20100, 101]
        assert out["total"] == 84301
        assert out["total_no_bias"] == 12 * 300 + 300 * 200 + 200 * 100 + 100
        # halved: 12-150-100-50-1
        assert out["half"] == 13 * 150 + 151 * 100 + 101 * 50 + 51 == 22151

    def test_seed_total_is_not_the_docs_example_figure(self):
        """Regression: docs/problem-format.md shows 84701 for this network; the count is 84301."""
        assert nw.mlp_param_count(self.SEED)["total"] != 84701

    @settings(max_examples=60, deadline=None)
    @given(n_in=st.integers(1, 40), h=st.tuples(*[st.integers(1, 60).map(lambda k: 2 * k)] * 3),
           n_out=st.integers(1, 10))
    def test_counts_match_numpy_arrays_of_those_shapes(self, n_in, h, n_out):
        sizes = [n_in, *h, n_out]
        p = {"n_in": n_in, "h1": h[0], "h2": h[1], "h3": h[2], "n_out": n_out}
        arrays = [(np.zeros((m, n)), np.zeros(m)) for n, m in zip(sizes[:-1], sizes[1:])]
        halved = [n_in, h[0] // 2, h[1] // 2, h[2] // 2, n_out]
        out = nw.mlp_param_count(p)
        assert out["layers"] == [W.size + b.size for W, b in arrays]
        assert out["total"] == sum(W.size + b.size for W, b in arrays)
        assert out["total_no_bias"] == sum(W.size for W, _ in arrays)
        assert out["half"] == sum((n + 1) * m for n, m in zip(halved[:-1], halved[1:]))

    def test_follow_through_sums_the_students_layers(self):
        out = nw.mlp_param_count(self.SEED, given={"layers": [3600, 60000, 20000, 100]})
        assert out["total"] == 83700

    def test_odd_hidden_layer_is_rejected(self):
        with pytest.raises(Reject):
            nw.mlp_param_count({**self.SEED, "h2": 201})

    @pytest.mark.parametrize("part,bug,expected", [
        ("total", "no-bias", 83700),
        ("total", "no-output-layer", 84200),
        ("total", "bias-per-layer", 83700 + 4),
        ("total", "bias-wrong-side", 83700 + 12 + 300 + 200 + 100),
        ("total_no_bias", "with-bias", 84301),
        ("total_no_bias", "no-output-layer", 83600),
        ("half", "half-total", 42151),  # 84301 / 2 = 42150.5, rounded half up
        ("half", "quarter-all", 21075),  # 84301 / 4 = 21075.25, rounded
        ("half", "no-bias", 12 * 150 + 150 * 100 + 100 * 50 + 50),
        ("layers", "no-bias", [3600, 60000, 20000, 100]),
        ("layers", "bias-wrong-side", [3612, 60300, 20200, 200]),
    ])
    def test_misconceptions_by_hand(self, part, bug, expected):
        assert nw.mlp_param_count(self.SEED, bug=bug)[part] == expected


# ---------------------------------------------------------------- A5


class TestLogicGates:
    """logic_gates and its checks: any weights meeting the table under step(0) = 0."""

    P = {"gate_a": [0, 0, 0, 1], "gate_b": [0, 1, 1, 1], "gate_c": XOR, "low": 0}

    @pytest.mark.parametrize("w,b", [([1, 1], -1.5), ([2, 2], -3), ([0.6, 0.5], -1), ([1, 1], -1)])
    def test_and_accepts_several_weights(self, w, b):
        """(1, 1, -1) is on the boundary at (1, 0) and (0, 1): right, since step(0) = 0."""
        assert nw.check_gate_a(self.P, as_answer({"w": w, "b": b})) is None

    @pytest.mark.parametrize("w,b", [([1, 1], -2), ([1, 1], -0.5), ([-1, -1], 1.5), ([0, 0], 0)])
    def test_and_rejects_wrong_weights(self, w, b):
        assert nw.check_gate_a(self.P, as_answer({"w": w, "b": b}))

    def test_boundary_answer_is_explained_by_the_convention(self):
        msg = nw.check_gate_a(self.P, as_answer({"w": [1, 1], "b": -2}))
        assert "(1, 1)" in msg and "step(0) = 0" in msg

    def test_rounding_noise_is_judged_as_exact_zero(self):
        """0.1 + 0.2 - 0.3 is 5.6e-17 in floats but 0 exactly, so step gives 0 at (1, 1)."""
        w, b = [0.1, 0.2], -0.3
        table = exact_step_table(w, b, ROWS)
        assert table == [0, 0, 0, 0]
        assert nw.check_gate_a({**self.P, "gate_a": table}, as_answer({"w": w, "b": b})) is None

    @settings(max_examples=150, deadline=None)
    @given(st.tuples(*[st.integers(-6, 6)] * 3), st.sampled_from(SEPARABLE), st.sampled_from([0, -1]))
    def test_check_agrees_with_exact_truth_table(self, twice, table, low):
        w, b = [t / 2 for t in twice[:2]], twice[2] / 2
        rows = [(x1 or low, x2 or low) for x1, x2 in ROWS]
        verdict = nw.check_gate_b({"gate_b": table, "low": low}, as_answer({"w": w, "b": b}))
        assert (verdict is None) == (exact_step_table(w, b, rows) == table)

    @pytest.mark.parametrize("low", [0, -1])
    @pytest.mark.parametrize("table", SEPARABLE)
    def test_reference_unit_realises_table_with_margin(self, table, low):
        unit = nw.logic_gates({**self.P, "gate_a": table, "low": low})["unit_a"]
        z = [unit["w"][0] * (x1 or low) + unit["w"][1] * (x2 or low) + unit["b"] for x1, x2 in ROWS]
        assert [int(v > 0) for v in z] == table and min(abs(v) for v in z) >= 0.5

    @pytest.mark.parametrize("table", SEPARABLE)
    def test_answer_right_only_if_step0_is_1_is_explained(self, table):
        """Lower the reference bias until a row that must fire sits at z = 0."""
        unit = nw.logic_gates({**self.P, "gate_a": table})["unit_a"]
        z = [unit["w"][0] * x1 + unit["w"][1] * x2 + unit["b"] for x1, x2 in ROWS]
        shift = min(v for v in z if v > 0)
        assert [int(v - shift >= 0) for v in z] == table  # right under the other convention
        shifted = {"w": unit["w"], "b": unit["b"] - shift}
        assert "step(0) = 0" in nw.check_gate_a({**self.P, "gate_a": table}, as_answer(shifted))

    def test_plus_minus_one_inputs_by_hand(self):
        """With false = -1, AND is x1 + x2 - 1 > 0 (z = -3, -1, -1, 1); bias 0.5 fires at (-1, 1)."""
        p = {**self.P, "low": -1}
        assert nw.check_gate_a(p, as_answer({"w": [1, 1], "b": -1})) is None
        assert "(-1, 1)" in nw.check_gate_a(p, as_answer({"w": [1, 1], "b": 0.5}))

    @pytest.mark.parametrize("net", [
        {"W1": [[1, 1], [1, 1]], "b1": [-0.5, -1.5], "w2": [1, -1], "b2": -0.5},  # OR and not AND
        {"W1": [[1, 1], [-1, -1]], "b1": [-0.5, 1.5], "w2": [1, 1], "b2": -1.5},  # OR and NAND
        {"W1": [[1, -1], [-1, 1]], "b1": [-0.5, -0.5], "w2": [1, 1], "b2": -0.5},  # x1>x2 or x2>x1
        {"W1": [[3, -3], [-3, 3]], "b1": [-1, -1], "w2": [2, 2], "b2": -1},
    ])
    def test_xor_net_accepts_several_nets(self, net):
        assert nw.check_two_layer_gate(self.P, as_answer(net)) is None

    def test_xor_net_with_plus_minus_one_inputs(self):
        """false = -1: h1 = OR = [x1 + x2 + 1 > 0], h2 = AND = [x1 + x2 - 1 > 0], y = h1 and not h2."""
        net = {"W1": [[1, 1], [1, 1]], "b1": [1, -1], "w2": [1, -1], "b2": -0.5}
        assert nw.check_two_layer_gate({**self.P, "low": -1}, as_answer(net)) is None
        assert nw.check_two_layer_gate({**self.P, "low": -1}, as_answer({**net, "b1": [-0.5, -1.5]}))

    @pytest.mark.parametrize("net", [
        {"W1": [[1, 1], [1, 1]], "b1": [-0.5, -1.5], "w2": [1, -1], "b2": -0.5},  # that is XOR
        {"W1": [[1, 0], [0, 1]], "b1": [-0.5, -0.5], "w2": [1, 1], "b2": -0.5},  # OR
        {"W1": [[0, 0], [0, 0]], "b1": [0, 0], "w2": [0, 0], "b2": 0},
    ])
    def test_xnor_net_rejects_wrong_nets(self, net):
        assert nw.check_two_layer_gate({**self.P, "gate_c": XNOR}, as_answer(net))

    @pytest.mark.parametrize("low", [0, -1])
    @pytest.mark.parametrize("table", [XOR, XNOR])
    def test_two_layer_reference_by_hand(self, table, low):
        net = nw.logic_gates({**self.P, "gate_c": table, "low": low})["net_c"]
        W1, b1, w2, b2 = (np.array(net[k], dtype=float) for k in ("W1", "b1", "w2", "b2"))
        out = [int(w2 @ (W1 @ np.array([x1 or low, x2 or low]) + b1 > 0) + b2 > 0) for x1, x2 in ROWS]
        assert out == table

    def test_one_unit_cannot_do_xor(self):
        assert nw.logic_gates(self.P)["one_unit_c"] is False
        assert nw.logic_gates(self.P, bug="separable")["one_unit_c"] is True

    def test_no_single_unit_on_a_grid_realises_xor(self):
        """Brute force over a grid of weights, independent of the solver's search."""
        grid = np.arange(-3, 3.01, 0.5)
        for w1, w2, b in product(grid, grid, grid):
            assert exact_step_table([w1, w2], b, ROWS) not in (XOR, XNOR)


# ---------------------------------------------------------------- A6


class TestXorExtraFeature:
    """xor_extra_feature: one unit with a product input; zero set of a factorable unit."""

    PROD = {"f1": 1, "f2": 1, "tex": "x_1 x_2"}

    def p(self, **kw):
        base = {"gate": XOR, "feature": self.PROD, "k": 2, "la": 0.5, "lc": 1.5,
                "w1": -3.0, "w2": -1.0, "w3": 2, "b0": 1.5}
        return {**base, **kw}

    @pytest.mark.parametrize("feature,gate,w,b", [
        ({"f1": 1, "f2": 1}, XOR, [1, 1, -2], -0.5),  # the textbook unit
        ({"f1": 1, "f2": 1}, XOR, [2, 2, -4], -1),
        ({"f1": 1, "f2": 1}, XNOR, [-1, -1, 2], 0.5),
        ({"f1": 1, "f2": 0}, XOR, [-1, 1, 2], -0.5),  # x1(1-x2): XOR = x2 - x1 + 2 x3
        ({"f1": 0, "f2": 0}, XOR, [-1, -1, -2], 1.5),  # (1-x1)(1-x2): XOR = 2 - x1 - x2 - 2 x3
    ])
    def test_accepts_valid_units(self, feature, gate, w, b):
        p = self.p(feature=feature, gate=gate)
        inputs = [(x1, x2, (x1 if feature["f1"] else 1 - x1) * (x2 if feature["f2"] else 1 - x2))
                  for x1, x2 in ROWS]
        assert exact_step_table(w, b, inputs) == gate
        assert nw.check_xor_feature(p, as_answer({"w": w, "b": b})) is None

    @pytest.mark.parametrize("w,b", [([1, 1, 0], -0.5), ([1, 1, -2], 0.5), ([1, 1, -1], -1)])
    def test_rejects_invalid_units(self, w, b):
        assert nw.check_xor_feature(self.p(), as_answer({"w": w, "b": b}))

    @pytest.mark.parametrize("f1,f2", list(product([0, 1], repeat=2)))
    @pytest.mark.parametrize("gate", [XOR, XNOR])
    def test_reference_unit_passes_for_every_feature(self, f1, f2, gate):
        p = self.p(feature={"f1": f1, "f2": f2}, gate=gate)
        out = nw.xor_extra_feature(p)
        assert out["possible"] is True
        assert nw.check_xor_feature(p, as_answer(out["unit"])) is None

    def test_lines_by_hand(self):
        """z = 2 x1 x2 - 3 x1 - x2 + 1.5 = 2 (x1 - 0.5)(x2 - 1.5)."""
        assert nw.xor_extra_feature(self.p())["lines"] == [0.5, 1.5]
        assert nw.xor_extra_feature(self.p(), bug="swapped")["lines"] == [1.5, 0.5]
        assert nw.xor_extra_feature(self.p(), bug="sign")["lines"] == [-0.5, -1.5]

    @settings(max_examples=60, deadline=None)
    @given(k=st.sampled_from([-4, -2, 2, 4]),
           la=st.sampled_from([-1.5, -1, -0.5, 0.5, 1, 1.5, 2]),
           lc=st.sampled_from([-1.5, -1, -0.5, 0.5, 1, 1.5, 2]))
    def test_lines_are_where_z_vanishes(self, k, la, lc):
        p = self.p(k=k, la=la, lc=lc, w1=-k * lc, w2=-k * la, w3=k, b0=k * la * lc)
        if la == lc:
            with pytest.raises(Reject):
                nw.xor_extra_feature(p)
            return
        x1s, x2s = sp.symbols("x1 x2")
        z = p["w1"] * x1s + p["w2"] * x2s + p["w3"] * x1s * x2s + p["b0"]
        alpha, beta = nw.xor_extra_feature(p)["lines"]
        assert sp.simplify(z.subs(x1s, sp.nsimplify(alpha))) == 0
        assert sp.simplify(z.subs(x2s, sp.nsimplify(beta))) == 0

    def test_unit_that_does_not_factor_is_rejected(self):
        with pytest.raises(Reject):
            nw.xor_extra_feature(self.p(b0=1))


# ---------------------------------------------------------------- A4


class TestPerceptrons:
    """perceptrons: ReLU NOT, ReLU unit meeting a table, step net for a region."""

    SEED = {"x_on": 0, "y_on": 1, "x_off": 1,
            "row1": [1, 1, 2], "y1": 0.5, "row2": [1, -1, 1], "y2": 0,
            "line1": {"a": 1, "b": 1, "c": 1}, "line2": {"a": 1, "b": -1, "c": 1},
            "side1": ">", "side2": ">", "op": "and"}

    @pytest.mark.parametrize("w0,w1", [(1, -1), (1, -5), (1, -1.0000001)])
    def test_not_accepts(self, w0, w1):
        assert nw.check_relu_not(self.SEED, as_answer({"w0": w0, "w1": w1})) is None

    @pytest.mark.parametrize("w0,w1", [(1, -0.5), (2, -2), (0, 1), (1, 0)])
    def test_not_rejects(self, w0, w1):
        assert nw.check_relu_not(self.SEED, as_answer({"w0": w0, "w1": w1}))

    @settings(max_examples=80, deadline=None)
    @given(x_on=st.integers(-2, 3), x_off=st.integers(-2, 3), y_on=st.sampled_from([0.5, 1, 1.5, 2, 3]))
    def test_not_reference_meets_the_table(self, x_on, x_off, y_on):
        if x_on == x_off:
            return
        p = {**self.SEED, "x_on": x_on, "x_off": x_off, "y_on": y_on}
        ans = nw.perceptrons(p)["not_unit"]
        assert max(0, ans["w0"] + ans["w1"] * x_on) == y_on
        assert max(0, ans["w0"] + ans["w1"] * x_off) == 0

    def test_not_built_backwards_is_explained(self):
        """relu(0 + 1 x) gives 0 at x = 0 and 1 at x = 1: the identity, not NOT."""
        assert "opposite" in nw.check_relu_not(self.SEED, as_answer({"w0": 0, "w1": 1}))

    @pytest.mark.parametrize("w", [[0, 0.5, 0], [-1, 0.5, 0.5], [0.25, 0.25, 0]])
    def test_table_accepts(self, w):
        """Row 1: w1 + w2 + 2 w3 = 0.5; row 2: w1 - w2 + w3 <= 0."""
        assert nw.check_relu_table(self.SEED, as_answer(w)) is None

    @pytest.mark.parametrize("w", [[0.5, 0, 0], [0, 0.25, 0], [0, 0, 0.25]])
    def test_table_rejects(self, w):
        assert nw.check_relu_table(self.SEED, as_answer(w))

    @settings(max_examples=40, deadline=None)
    @given(r1=st.lists(st.integers(-2, 3), min_size=3, max_size=3),
           r2=st.lists(st.integers(-2, 3), min_size=3, max_size=3),
           y1=st.sampled_from([0.5, 1, 1.5, 2, 3]), y2=st.sampled_from([0, 0.5, 1, 2]))
    def test_table_reference_meets_the_rows(self, r1, r2, y1, y2):
        p = {**self.SEED, "row1": r1, "row2": r2, "y1": y1, "y2": y2}
        try:
            w = nw.perceptrons(p)["table_unit"]
        except Reject:
            return
        assert max(0, float(np.dot(r1, w))) == y1 and max(0, float(np.dot(r2, w))) == y2

    def test_parallel_rows_are_rejected(self):
        with pytest.raises(Reject):
            nw.perceptrons({**self.SEED, "row2": [2, 2, 4]})

    @pytest.mark.parametrize("net", [
        {"W1": [[1, 1], [1, -1]], "b1": [-1, -1], "w2": [1, 1], "b2": -1.5},
        {"W1": [[2, -2], [3, 3]], "b1": [-2, -3], "w2": [1, 1], "b2": -1},  # units swapped, scaled
        {"W1": [[-1, -1], [-1, 1]], "b1": [1, 1], "w2": [-1, -1], "b2": 0.5},  # NOR of the complements
    ])
    def test_region_accepts(self, net):
        """Seed lines x1 + x2 = 1 and x1 - x2 = 1; class 1 right of both."""
        assert nw.check_region(self.SEED, as_answer(net)) is None

    def test_wrong_combiner_is_explained(self):
        net = {"W1": [[1, 1], [1, -1]], "b1": [-1, -1], "w2": [1, 1], "b2": -0.5}  # OR, not AND
        assert "'or' instead of 'and'" in nw.check_region(self.SEED, as_answer(net))

    @pytest.mark.parametrize("net", [
        {"W1": [[1, 1], [-1, 1]], "b1": [-1, 1], "w2": [1, 1], "b2": -1.5},  # wrong side of line 2
        {"W1": [[1, 1], [1, -1]], "b1": [-2, -1], "w2": [1, 1], "b2": -1.5},  # shifted line 1
    ])
    def test_region_rejects(self, net):
        assert nw.check_region(self.SEED, as_answer(net))

    def test_region_missing_from_the_grid_is_rejected(self):
        """x1 < -1 and 3 x1 + x2 > 3 needs x2 > 6: no class-1 point in [-4, 4]^2."""
        p = {**self.SEED, "line1": {"a": 1, "b": 0, "c": -1}, "side1": "<",
             "line2": {"a": 3, "b": 1, "c": 3}, "side2": ">"}
        with pytest.raises(Reject):
            nw.perceptrons(p)
        constant_zero = {"W1": [[0, 0], [0, 0]], "b1": [0, 0], "w2": [0, 0], "b2": 0}
        assert nw.check_region(p, as_answer(constant_zero)) is None

    LINES = [{"a": 1, "b": 1, "c": 1}, {"a": 1, "b": -1, "c": 1}, {"a": 1, "b": 2, "c": 2},
             {"a": 2, "b": -1, "c": 1}, {"a": 0, "b": 1, "c": 1}, {"a": 1, "b": 0, "c": -1},
             {"a": 1, "b": -2, "c": 0}, {"a": -1, "b": 1, "c": 2}, {"a": 3, "b": 1, "c": 3}]

    @settings(max_examples=60, deadline=None)
    @given(l1=st.sampled_from(LINES), l2=st.sampled_from(LINES), s1=st.sampled_from("<>"),
           s2=st.sampled_from("<>"), op=st.sampled_from(["and", "or"]))
    def test_region_reference_passes_and_other_combiner_fails(self, l1, l2, s1, s2, op):
        if l1["a"] * l2["b"] == l2["a"] * l1["b"]:
            return
        p = {**self.SEED, "line1": l1, "line2": l2, "side1": s1, "side2": s2, "op": op}
        try:
            net = nw.perceptrons(p)["region_net"]
        except Reject:
            return
        assert nw.check_region(p, as_answer(net)) is None
        other = {**net, "b2": -0.5 if op == "and" else -1.5}
        assert "instead of" in nw.check_region(p, as_answer(other))


# ---------------------------------------------------------------- A1


class TestLinearCollapse:
    """linear_collapse: gamma1, gamma2 symbolically and for drawn numbers."""

    P = {"a_val": [1, 2], "b_val": [3, -1], "v_val": [2, 0.5], "c_val": 1}
    NAMES = "a1 a2 b1 b2 v1 v2 c x"

    def test_expressions_match_sympy_expansion(self):
        a1, a2, b1, b2, v1, v2, c, x = sp.symbols(self.NAMES)
        y = sp.expand(c + v1 * (a1 + b1 * x) + v2 * (a2 + b2 * x))
        out = nw.linear_collapse(self.P)
        syms = dict(zip(self.NAMES.split(), (a1, a2, b1, b2, v1, v2, c, x)))
        assert sp.expand(sp.sympify(out["gamma1"], locals=syms) - y.coeff(x, 0)) == 0
        assert sp.expand(sp.sympify(out["gamma2"], locals=syms) - y.coeff(x, 1)) == 0

    def test_numbers_by_hand(self):
        """gamma1 = 1 + 2*1 + 0.5*2 = 4; gamma2 = 2*3 + 0.5*(-1) = 5.5."""
        assert nw.linear_collapse(self.P)["numeric"] == [4, 5.5]

    @settings(max_examples=60, deadline=None)
    @given(a=st.lists(st.integers(-3, 3).filter(bool), min_size=2, max_size=2),
           b=st.lists(st.integers(-3, 3).filter(bool), min_size=2, max_size=2),
           v=st.lists(st.sampled_from([-2, -1, -0.5, 0.5, 1, 2, 3]), min_size=2, max_size=2),
           c=st.integers(-4, 4).filter(bool))
    def test_numbers_match_forward_pass_at_0_and_1(self, a, b, v, c):
        p = {"a_val": a, "b_val": b, "v_val": v, "c_val": c}

        def y(x):
            return c + sum(vi * (ai + bi * x) for vi, ai, bi in zip(v, a, b))
        try:
            g1, g2 = nw.linear_collapse(p)["numeric"]
        except Reject:
            return
        assert g1 == y(0) and g2 == y(1) - y(0)
        for bug in ("swap", "no-output-bias", "no-output-weights"):
            assert nw.linear_collapse(p, bug=bug)["numeric"] != [g1, g2]

    def test_other_parts(self):
        out = nw.linear_collapse(self.P)
        assert out["affine"] is True and sorted(out["fixes"]) == ["relu", "sigmoid"]
        assert nw.linear_collapse(self.P, bug="depth-nonlinear")["affine"] is False
        assert "more-layers" in nw.linear_collapse(self.P, bug="depth-helps")["fixes"]

    @pytest.mark.parametrize("part,bug", [("gamma1", "swap"), ("gamma1", "no-output-bias"),
                                          ("gamma1", "no-output-weights"), ("gamma2", "swap"),
                                          ("gamma2", "mixed-index"), ("gamma2", "no-output-weights")])
    def test_expression_bugs_differ(self, part, bug):
        syms = {n: sp.Symbol(n) for n in self.NAMES.split()}
        ref = sp.sympify(nw.linear_collapse(self.P)[part], locals=syms)
        wrong = sp.sympify(nw.linear_collapse(self.P, bug=bug)[part], locals=syms)
        assert sp.expand(ref - wrong) != 0


# ---------------------------------------------------------------- A2


class TestReluForward:
    """relu_forward: hidden values, prediction, formula."""

    # z1 = (2*2 - 3*0 + 1*1 + 1, -1*2 - 2*0 + 2*1 - 1) = (6, -1) -> h = (6, 0)
    # y = relu(0.5*6 + 2*0 + 3) = 6
    P = {"x": [2, 0, 1], "W1": [[2, -3, 1], [-1, -2, 2]], "b1": [1, -1], "w2": [0.5, 2], "b2": 3}

    def test_by_hand(self):
        out = nw.relu_forward(self.P)
        assert out["h"] == [6, 0] and out["y"] == 6

    @pytest.mark.parametrize("bug,h,y", [
        ("no-relu", [6, -1], 0.5 * 6 + 2 * -1 + 3),
        ("no-bias", [5, 0], 0.5 * 5),  # relu(4 + 1) without b1[0]; no b2
    ])
    def test_bugs_by_hand(self, bug, h, y):
        out = nw.relu_forward(self.P, bug=bug)
        assert out["h"] == h and out["y"] == y

    def test_follow_through_from_students_h(self):
        assert nw.relu_forward(self.P, given={"h": [4, 1]})["y"] == 0.5 * 4 + 2 * 1 + 3

    def test_formula_evaluates_like_numpy_forward_pass(self):
        xs = sp.symbols("x1 x2 x3")
        for bug, relu, bias in [(None, True, True), ("no-relu", False, True), ("no-bias", True, False)]:
            text = nw.relu_forward(self.P, bug=bug)["formula"]
            expr = sp.sympify(text.replace("max", "Max"), locals=dict(zip(["x1", "x2", "x3"], xs)))
            for x in np.random.default_rng(0).integers(-4, 5, size=(20, 3)):
                z1 = np.array(self.P["W1"]) @ x + (np.array(self.P["b1"]) if bias else 0)
                h = np.maximum(z1, 0) if relu else z1
                out = np.dot(self.P["w2"], h) + (self.P["b2"] if bias else 0)
                want = max(out, 0) if relu else out
                assert float(expr.subs(dict(zip(xs, map(int, x))))) == pytest.approx(want)

    @pytest.mark.parametrize("change", [{"b1": [1, 0]}, {"b2": -20}, {"W1": [[2, -3, 1], [1, 2, 2]]}])
    def test_uninformative_draws_are_rejected(self, change):
        """A unit at exactly 0, a clamped output, or all units active would let a bug go unnoticed."""
        with pytest.raises(Reject):
            nw.relu_forward({**self.P, **change})


# ---------------------------------------------------------------- A3


class TestFormulaToNetwork:
    """formula_to_network: any network computing the formula is accepted."""

    # y = max(0, 4 max(0, 3x1 + 4x2 + 1) + 2 max(0, 3x1 + 2x2 + 7) + 6), the seed's formula
    P = {"W": [[3, 4], [3, 2]], "c": [1, 7], "v": [4, 2], "d": 6}

    @pytest.mark.parametrize("net", [
        {"W1": [[3, 4], [3, 2]], "b1": [1, 7], "w2": [4, 2], "b2": 6},
        {"W1": [[3, 2], [3, 4]], "b1": [7, 1], "w2": [2, 4], "b2": 6},  # units swapped
        {"W1": [[6, 8], [1.5, 1]], "b1": [2, 3.5], "w2": [2, 4], "b2": 6},  # rescaled units
    ])
    def test_accepts(self, net):
        assert nw.check_formula_network(self.P, as_answer(net)) is None

    def test_transposed_is_explained(self):
        net = {"W1": [[3, 3], [4, 2]], "b1": [1, 7], "w2": [4, 2], "b2": 6}
        assert "transposed" in nw.check_formula_network(self.P, as_answer(net))

    @pytest.mark.parametrize("net", [
        {"W1": [[3, 4], [3, 2]], "b1": [7, 1], "w2": [4, 2], "b2": 6},  # biases swapped only
        {"W1": [[3, 4], [3, 2]], "b1": [1, 7], "w2": [4, 2], "b2": -6},
    ])
    def test_rejects(self, net):
        msg = nw.check_formula_network(self.P, as_answer(net))
        assert msg and "the formula gives" in msg

    def test_reference(self):
        assert nw.formula_to_network(self.P)["network"] == {
            "W1": [[3, 4], [3, 2]], "b1": [1, 7], "w2": [4, 2], "b2": 6}

    def test_symmetric_weights_are_rejected(self):
        """With W = W^T a transposed answer would pass unnoticed."""
        with pytest.raises(Reject):
            nw.formula_to_network({**self.P, "W": [[3, 2], [2, 1]]})

    def test_seed_formula_value_by_hand(self):
        """At (1, -1): inner units relu(3 - 4 + 1) = 0 and relu(3 - 2 + 7) = 8; y = 2*8 + 6 = 22."""
        assert nw._two_layer_relu(self.P["W"], self.P["c"], self.P["v"], self.P["d"], [[1, -1]])[0] == 22


# ---------------------------------------------------------------- helpers


class TestHelpers:
    """Formatting of numbers and linear forms in the answer language."""

    @pytest.mark.parametrize("x,text", [(3, "3"), (-2.0, "-2"), (0.5, "0.5"), (Fraction(1, 3), "1/3"),
                                        (1.25, "1.25")])
    def test_num(self, x, text):
        assert nw._num(x) == text

    def test_linear(self):
        assert nw._linear([2, -1, 0], ["x1", "x2", "x3"], 1) == "2*x1 - x2 + 1"
        assert nw._linear([0, 0], ["x1", "x2"], 0) == "0"
        assert nw._linear([-0.5, 1], ["x1", "x2"], -3) == "-0.5*x1 + x2 - 3"


class TestCheckInputs:
    """Checks refuse unusable numbers with a message instead of misjudging them."""

    @pytest.mark.parametrize("check,answer", [
        (nw.check_gate_a, {"w": [1e300, 1e300], "b": -1e300}),
        (nw.check_formula_network, {"W1": [[1e200, 0], [0, 1]], "b1": [0, 0], "w2": [1e200, 0], "b2": 0}),
        (nw.check_relu_table, [np.inf, 0, 0]),
    ])
    def test_huge_or_infinite_entries_are_refused(self, check, answer):
        p = {**TestLogicGates.P, **TestFormulaToNetwork.P, **TestPerceptrons.SEED}
        msg = check(p, as_answer(answer))
        assert "finite" in msg or "larger" in msg
