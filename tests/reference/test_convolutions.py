"""Reference solvers of family I (convolutions), checked against hand computations,
finite differences and, when installed, PyTorch (F.conv2d, pooling, autograd, nn.Conv2d)."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from bank_yaml import yaml_parts
from reference import Reject
from reference.convolutions import CONV_VISIBLE, conv_by_hand

# One channel 3x3, kernel 2x2, stride 1, padding 1 -> a 4x4 map, pooled 2x2 with stride 2.
HAND = dict(c=1, s=1, pad=1, pk=2, ps=2, b=1,
            Xa=[[1, 2, 0], [0, 1, 3], [2, 0, 1]], Xb=None,
            Wa=[[1, 0], [2, -1]], Wb=None)


def conv_params(rng):
    n, k, s, pk, ps = [[3, 2, 1, 2, 2], [4, 2, 2, 2, 1], [5, 2, 2, 2, 1],
                       [3, 3, 1, 2, 1], [5, 3, 2, 2, 1], [4, 3, 1, 2, 2]][rng.integers(6)]
    c = 1 if k == 3 else int(rng.integers(1, 3))
    return dict(c=c, s=s, pad=1, pk=pk, ps=ps, b=int(rng.choice([-2, -1, 1, 2])),
                Xa=rng.integers(-2, 4, (n, n)).tolist(), Xb=rng.integers(-2, 4, (n, n)).tolist(),
                Wa=rng.integers(-1, 3, (k, k)).tolist(), Wb=rng.integers(-1, 3, (k, k)).tolist())


def solved(solver, make, n=30, seed=0):
    rng, out = np.random.default_rng(seed), []
    while len(out) < n:
        p = make(rng)
        try:
            out.append((p, solver(p)))
        except Reject:
            pass
    return out


class TestConvByHand:
    def test_output_map(self):
        """Padded input rows: 0 0 0 0 0 / 0 1 2 0 0 / 0 0 1 3 0 / 0 2 0 1 0 / 0 0 0 0 0.
        Y[i][j] = 1 + P[i][j] + 2 P[i+1][j] - P[i+1][j+1], e.g. Y[0][0] = 1 + 0 + 0 - 1 = 0,
        Y[1][3] = 1 + 0 + 2*3 - 0 = 7; the last row is 1 + P[3][j]."""
        r = conv_by_hand.__wrapped__(HAND)
        assert r["Y"] == [[0, 1, 5, 1], [1, 1, 2, 7], [-1, 5, 1, 6], [1, 3, 1, 2]]

    def test_pooling(self):
        r = conv_by_hand.__wrapped__(HAND)
        assert r["maxpool"] == [[1, 7], [5, 6]]
        assert r["avgpool"] == [[F(3, 4), F(15, 4)], [2, F(5, 2)]]

    def test_flipped_kernel_is_a_true_convolution(self):
        """Flipped kernel [[-1, 2], [0, 1]]: Y[0][0] = 1 + 0 + 0 + 0 + 1*1 = 2."""
        assert conv_by_hand.__wrapped__(HAND, bug="flipped-kernel")["Y"][0][0] == 2

    def test_forgotten_padding_shrinks_the_map(self):
        assert np.shape(conv_by_hand.__wrapped__(HAND, bug="forgotten-padding")["Y"]) == (2, 2)

    def test_pooling_follows_the_given_map(self):
        r = conv_by_hand.__wrapped__(HAND, given={"Y": [[1, 2, 3, 4]] * 4})
        assert r["maxpool"] == [[2, 4], [2, 4]] and r["avgpool"] == [[F(3, 2), F(7, 2)]] * 2

    def test_visible_list_and_shape_slips_match_the_yaml(self):
        parts = yaml_parts("convolutions", "conv2d-by-hand.yaml")
        bugs = {m["bug"] for m in parts["Y"]["misconceptions"]}
        assert bugs == set(CONV_VISIBLE["Y"][0]) | {"forgotten-padding"}
        assert parts["Y"]["tolerance"]["abs"] == CONV_VISIBLE["Y"][1]

    def test_matches_pytorch(self):
        torch = pytest.importorskip("torch")
        Fn = torch.nn.functional
        for p, r in solved(conv_by_hand, conv_params):
            c = p["c"]
            X = torch.tensor([p["Xa"], p["Xb"]][:c], dtype=torch.float64)[None]
            W = torch.tensor([p["Wa"], p["Wb"]][:c], dtype=torch.float64)[None]
            Y = Fn.conv2d(X, W, torch.tensor([float(p["b"])], dtype=torch.float64),
                          stride=p["s"], padding=p["pad"])
            assert np.array_equal(np.array(r["Y"], float), Y[0, 0].numpy())
            mx = Fn.max_pool2d(Y, p["pk"], p["ps"])[0, 0].numpy()
            av = Fn.avg_pool2d(Y, p["pk"], p["ps"])[0, 0].numpy()
            assert np.allclose(np.array(r["maxpool"], float), mx)
            assert np.allclose(np.array(r["avgpool"], float), av)
