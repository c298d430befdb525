"""Reference solvers of family J (recurrent networks), checked against hand computations,
finite differences and, when installed, PyTorch (nn.RNN, nn.LSTMCell, nn.GRUCell, counts)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bank_yaml import assert_visible_lists_match
from reference import Reject
from reference.recurrent import RNN_VISIBLE, rnn_forward

RNN_CASE = dict(x=[1, -2, 2], W_ih=[0.5, -0.3], W_hh=[[0.2, -0.4], [0.1, 0.3]],
                b_ih=[0.1, 0.0], b_hh=[-0.2, 0.1], w_out=[2, -1], b_out=1)


def solved(solver, make, n=25, seed=0):
    rng, out = np.random.default_rng(seed), []
    while len(out) < n:
        p = make(rng)
        try:
            out.append((p, solver(p)))
        except Reject:
            pass
    return out


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
