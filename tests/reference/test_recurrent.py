"""Reference solvers of family J (recurrent networks), checked against hand computations,
finite differences and, when installed, PyTorch (nn.RNN, nn.LSTMCell, nn.GRUCell, counts)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bank_yaml import assert_visible_lists_match, solved
from reference.recurrent import RNN_VISIBLE, rnn_forward

RNN_CASE = dict(x=[1, -2, 2], W_ih=[0.5, -0.3], W_hh=[[0.2, -0.4], [0.1, 0.3]],
                b_ih=[0.1, 0.0], b_hh=[-0.2, 0.1], w_out=[2, -1], b_out=1)



def one_decimal(rng, lo, hi, shape=None, nonzero=False):
    vals = [v / 10 for v in range(int(lo * 10), int(hi * 10) + 1) if not (nonzero and v == 0)]
    return rng.choice(vals, size=shape).tolist()


def rnn_params(rng):
    return dict(x=rng.choice([-2, -1, 1, 2], 3).tolist(), W_ih=one_decimal(rng, -.5, .5, 2, True),
                W_hh=one_decimal(rng, -.6, .6, (2, 2)), b_ih=one_decimal(rng, -.3, .3, 2),
                b_hh=one_decimal(rng, -.3, .3, 2, True), w_out=rng.choice([-2, -1, 1, 2], 2).tolist(),
                b_out=int(rng.integers(-1, 2)))


class TestRnnForward:
    def test_by_hand(self):
        """h1 = tanh(0.5 + 0.1 - 0.2, -0.3 + 0 + 0.1) = tanh(0.4, -0.2); then
        h2 = tanh(-1 - 0.1 + 0.2 h1_1 - 0.4 h1_2, 0.6 + 0.1 + 0.1 h1_1 + 0.3 h1_2)."""
        r = rnn_forward(RNN_CASE)
        a, b = math.tanh(0.4), math.tanh(-0.2)
        assert r["h1"] == pytest.approx([a, b], abs=1e-12)
        h2 = [math.tanh(-1.1 + 0.2 * a - 0.4 * b), math.tanh(0.7 + 0.1 * a + 0.3 * b)]
        assert r["h2"] == pytest.approx(h2, abs=1e-12)

    def test_one_bias_slip_drops_the_input_bias(self):
        r = rnn_forward(RNN_CASE, bug="one-bias")
        assert r["h1"] == pytest.approx([math.tanh(0.3), math.tanh(-0.2)], abs=1e-12)

    def test_follow_through_from_a_given_state(self):
        r = rnn_forward(RNN_CASE, given={"h2": [0, 0]})
        assert r["h3"] == pytest.approx([math.tanh(1 + 0.1 - 0.2), math.tanh(-0.6 + 0.1)], abs=1e-12)

    def test_visible_lists_match_the_yaml(self):
        assert_visible_lists_match("recurrent", "rnn-forward.yaml", RNN_VISIBLE)

    def test_matches_pytorch(self):
        torch = pytest.importorskip("torch")
        for p, r in solved(rnn_forward, rnn_params):
            rnn = torch.nn.RNN(1, 2, nonlinearity="tanh").double()
            with torch.no_grad():
                rnn.weight_ih_l0.copy_(torch.tensor(p["W_ih"], dtype=torch.float64)[:, None])
                rnn.weight_hh_l0.copy_(torch.tensor(p["W_hh"], dtype=torch.float64))
                rnn.bias_ih_l0.copy_(torch.tensor(p["b_ih"], dtype=torch.float64))
                rnn.bias_hh_l0.copy_(torch.tensor(p["b_hh"], dtype=torch.float64))
            out, _ = rnn(torch.tensor(p["x"], dtype=torch.float64)[:, None, None])
            hs = out[:, 0, :].detach().numpy()
            for t in range(3):
                assert np.allclose(r[f"h{t + 1}"], hs[t], atol=1e-12)
            assert r["y"] == pytest.approx(float(np.dot(p["w_out"], hs[2]) + p["b_out"]), abs=1e-12)


# --- J4 ---------------------------------------------------------------------------------

from reference.recurrent import recurrent_param_counts  # noqa: E402


class TestParamCounts:
    def test_by_hand(self):
        """D = 10, H = 20, two biases: one block holds 200 + 400 + 40 = 640 parameters;
        the second LSTM layer's block 400 + 400 + 40 = 840."""
        r = recurrent_param_counts(dict(d=10, h=20, biases=2))
        assert r == dict(rnn=640, lstm=2560, gru=1920, lstm2=2560 + 4 * 840)

    def test_one_bias_convention(self):
        r = recurrent_param_counts(dict(d=10, h=20, biases=1))
        assert r == dict(rnn=620, lstm=2480, gru=1860, lstm2=2480 + 4 * 820)

    def test_slips(self):
        p = dict(d=10, h=20, biases=2)
        assert recurrent_param_counts(p, bug="wrong-bias-count")["rnn"] == 620
        assert recurrent_param_counts(p, bug="no-recurrent")["gru"] == 3 * 240
        assert recurrent_param_counts(p, bug="same-input")["lstm2"] == 2 * 2560

    def test_matches_pytorch(self):
        torch = pytest.importorskip("torch")
        nn = torch.nn

        def count(m):
            return sum(t.numel() for t in m.parameters())

        for d, h in ((8, 128), (37, 12), (100, 64)):
            r = recurrent_param_counts(dict(d=d, h=h, biases=2))
            assert r["rnn"] == count(nn.RNN(d, h))
            assert r["lstm"] == count(nn.LSTM(d, h))
            assert r["gru"] == count(nn.GRU(d, h))
            assert r["lstm2"] == count(nn.LSTM(d, h, num_layers=2))
            one = recurrent_param_counts(dict(d=d, h=h, biases=1))
            assert one["lstm"] == count(nn.LSTM(d, h, bias=False)) + 4 * h


# --- J3 ---------------------------------------------------------------------------------

from reference.recurrent import CELLS_VISIBLE, lstm_gru_step  # noqa: E402

CELL = dict(x=1, h_prev=0.5, c_prev=-0.5, lw=[1, -0.5, 0.5, 1], lu=[0.2, 0.4, -1, 0],
            lb=[0, 0.5, 0.3, -0.5], gw=[0.5, -1, 1], gu=[0.4, 0.2, -0.6],
            gb_ih=[0.1, 0, -0.2], gb_hh=[0.2, -0.3, 0.5])


def sig(t):
    return 1 / (1 + math.exp(-t))


def cell_params(rng):
    c = lambda opts, n=None: rng.choice(opts, n).tolist()  # noqa: E731
    return dict(x=int(c([-2, -1, 1, 2])), h_prev=float(c([-0.8, -0.5, -0.2, 0.2, 0.4, 0.8])),
                c_prev=float(c([-1, -0.5, 0.3, 0.8])), lw=c([-1, -0.5, 0.5, 1], 4),
                lu=one_decimal(rng, -1, 1, 4), lb=one_decimal(rng, -.5, .5, 4),
                gw=c([-1, -0.5, 0.5, 1], 3), gu=one_decimal(rng, -1, 1, 3),
                gb_ih=one_decimal(rng, -.5, .5, 3), gb_hh=c([-0.5, -0.3, 0.2, 0.5], 3))


class TestCells:
    def test_by_hand(self):
        """LSTM pre-activations: i 1 + 0.1 = 1.1, f -0.5 + 0.2 + 0.5 = 0.2,
        g 0.5 - 0.5 + 0.3 = 0.3, o 1 + 0 - 0.5 = 0.5. GRU: r = sig(0.5 + 0.1 + 0.2 + 0.2) =
        sig(1), z = sig(-1 + 0 + 0.1 - 0.3) = sig(-1.2), n = tanh(1 - 0.2 + r (-0.3 + 0.5))."""
        r = lstm_gru_step.__wrapped__(CELL)
        i, f, g, o = sig(1.1), sig(0.2), math.tanh(0.3), sig(0.5)
        assert r["gates"] == pytest.approx([i, f, g, o], abs=1e-12)
        c = f * -0.5 + i * g
        assert r["c"] == pytest.approx(c, abs=1e-12)
        assert r["h"] == pytest.approx(o * math.tanh(c), abs=1e-12)
        rr, z = sig(1.0), sig(-1.2)
        n = math.tanh(0.8 + rr * 0.2)
        assert r["gru_rz"] == pytest.approx([rr, z], abs=1e-12)
        assert r["gru_n"] == pytest.approx(n, abs=1e-12)
        assert r["gru_h"] == pytest.approx((1 - z) * n + z * 0.5, abs=1e-12)
        orig = lstm_gru_step(CELL, bug="reset-before-bias")["gru_n"]
        assert orig == pytest.approx(math.tanh(0.8 + 0.5 + rr * -0.3), abs=1e-12)

    def test_follow_through(self):
        r = lstm_gru_step(CELL, given={"gates": [0.5, 0.5, 0.5, 0.5], "gru_n": 0.1})
        assert r["c"] == pytest.approx(0.5 * -0.5 + 0.25)
        z = sig(-1.2)
        assert r["gru_h"] == pytest.approx((1 - z) * 0.1 + z * 0.5)

    def test_visible_lists_match_the_yaml(self):
        assert_visible_lists_match("recurrent", "lstm-gru-step.yaml", CELLS_VISIBLE)

    def test_matches_pytorch(self):
        torch = pytest.importorskip("torch")
        t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
        for p, r in solved(lstm_gru_step, cell_params):
            x, h, c = t([[p["x"]]]), t([[p["h_prev"]]]), t([[p["c_prev"]]])
            lstm = torch.nn.LSTMCell(1, 1).double()
            gru = torch.nn.GRUCell(1, 1).double()
            with torch.no_grad():
                lstm.weight_ih.copy_(t(p["lw"])[:, None])
                lstm.weight_hh.copy_(t(p["lu"])[:, None])
                lstm.bias_ih.copy_(t(p["lb"]))
                lstm.bias_hh.zero_()
                gru.weight_ih.copy_(t(p["gw"])[:, None])
                gru.weight_hh.copy_(t(p["gu"])[:, None])
                gru.bias_ih.copy_(t(p["gb_ih"]))
                gru.bias_hh.copy_(t(p["gb_hh"]))
            h1, c1 = lstm(x, (h, c))
            assert r["c"] == pytest.approx(c1.item(), abs=1e-12)
            assert r["h"] == pytest.approx(h1.item(), abs=1e-12)
            assert r["gru_h"] == pytest.approx(gru(x, h).item(), abs=1e-12)


# --- J2 ---------------------------------------------------------------------------------

from reference.recurrent import BPTT_VISIBLE, bptt  # noqa: E402


def bptt_params(rng):
    return dict(x=rng.choice([-2, -1, 1, 2], 2).tolist(), W_xh=one_decimal(rng, -.5, .5, 2, True),
                W_hh=one_decimal(rng, -.8, .8, (2, 2)), b=one_decimal(rng, -.3, .3, 2),
                w=rng.choice([-2, -1, 1, 2], 2).tolist(), target=int(rng.integers(-2, 3)))


def run_rnn(p, W_xh=None, W_hh=None, b=None, h0=None):
    """States and loss of the two-step network, written independently of the solver."""
    W_xh = np.array(p["W_xh"], float) if W_xh is None else W_xh
    W_hh = np.array(p["W_hh"], float) if W_hh is None else W_hh
    b = np.array(p["b"], float) if b is None else b
    h = np.zeros(2) if h0 is None else h0
    hs = []
    for x in p["x"]:
        h = np.tanh(W_xh * x + W_hh @ h + b)
        hs.append(h)
    return hs, 0.5 * (float(np.dot(p["w"], h)) - p["target"]) ** 2


def numeric_grad(f, A, h=1e-6):
    A = np.array(A, float)
    out = np.zeros_like(A)
    for idx in np.ndindex(A.shape):
        E = np.zeros_like(A)
        E[idx] = h
        out[idx] = (f(A + E) - f(A - E)) / (2 * h)
    return out


class TestBptt:
    def test_finite_differences(self):
        for p, r in solved(bptt, bptt_params, n=20):
            assert np.allclose(r["states"], run_rnn(p)[0], atol=1e-12)
            assert np.allclose(r["dW_hh"], numeric_grad(lambda M: run_rnn(p, W_hh=M)[1], p["W_hh"]), atol=1e-6)
            assert np.allclose(r["dW_xh"], numeric_grad(lambda v: run_rnn(p, W_xh=v)[1], p["W_xh"]), atol=1e-6)
            assert np.allclose(r["db"], numeric_grad(lambda v: run_rnn(p, b=v)[1], p["b"]), atol=1e-6)
            W_hh = np.array(p["W_hh"], float)
            h1 = run_rnn(p)[0][0]
            step2 = lambda h: np.tanh(np.array(p["W_xh"]) * p["x"][1] + W_hh @ h + np.array(p["b"]))  # noqa: E731
            jac = np.column_stack([(step2(h1 + 1e-6 * e) - step2(h1 - 1e-6 * e)) / 2e-6 for e in np.eye(2)])
            assert np.allclose(r["jac"], jac, atol=1e-6)
            two = lambda h0: run_rnn(p, h0=h0)[0][1]  # noqa: E731
            prod = np.column_stack([(two(1e-6 * e) - two(-1e-6 * e)) / 2e-6 for e in np.eye(2)])
            assert np.allclose(r["jac_prod"], prod, atol=1e-6)

    def test_by_hand_scalar_reduction(self):
        """With W_hh diagonal the units decouple: delta1 = delta2 * W_hh_ii * (1 - h1_i^2)."""
        p = dict(x=[1, 2], W_xh=[0.5, -0.2], W_hh=[[0.4, 0], [0, -0.3]], b=[0.1, 0.0],
                 w=[1, 2], target=1)
        r = bptt.__wrapped__(p)
        h1 = [math.tanh(0.6), math.tanh(-0.2)]
        h2 = [math.tanh(1 + 0.1 + 0.4 * h1[0]), math.tanh(-0.4 - 0.3 * h1[1])]
        err = h2[0] + 2 * h2[1] - 1
        d2 = [err * 1 * (1 - h2[0] ** 2), err * 2 * (1 - h2[1] ** 2)]
        assert r["delta2"] == pytest.approx(d2, abs=1e-12)
        assert r["delta1"] == pytest.approx([d2[0] * 0.4 * (1 - h1[0] ** 2),
                                             d2[1] * -0.3 * (1 - h1[1] ** 2)], abs=1e-12)

    def test_visible_lists_match_the_yaml(self):
        assert_visible_lists_match("recurrent", "bptt-by-hand.yaml", BPTT_VISIBLE)

    def test_matches_pytorch(self):
        torch = pytest.importorskip("torch")
        for p, r in solved(bptt, bptt_params, seed=3):
            rnn = torch.nn.RNN(1, 2).double()
            with torch.no_grad():
                rnn.weight_ih_l0.copy_(torch.tensor(p["W_xh"], dtype=torch.float64)[:, None])
                rnn.weight_hh_l0.copy_(torch.tensor(p["W_hh"], dtype=torch.float64))
                rnn.bias_ih_l0.copy_(torch.tensor(p["b"], dtype=torch.float64))
                rnn.bias_hh_l0.zero_()
            out, _ = rnn(torch.tensor(p["x"], dtype=torch.float64)[:, None, None])
            y = out[-1, 0] @ torch.tensor(p["w"], dtype=torch.float64)
            (0.5 * (y - p["target"]) ** 2).backward()
            assert np.allclose(r["dW_hh"], rnn.weight_hh_l0.grad.numpy(), atol=1e-12)
            assert np.allclose(r["dW_xh"], rnn.weight_ih_l0.grad[:, 0].numpy(), atol=1e-12)
            assert np.allclose(r["db"], rnn.bias_hh_l0.grad.numpy(), atol=1e-12)
            assert np.allclose(r["db"], rnn.bias_ih_l0.grad.numpy(), atol=1e-12)
