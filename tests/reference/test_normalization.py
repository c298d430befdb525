"""Reference solvers of family K (normalization, dropout, softmax cross-entropy), checked
against hand computations, finite differences and, when installed, PyTorch."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest

from bank_yaml import assert_visible_lists_match
from reference import Reject
from reference.normalization import BN_EPS, BN_FORWARD_VISIBLE, batchnorm_forward

BN_CASE = dict(x=[1, 2, 3, 6], gamma=2, beta=1, momentum=0.1, r_mean=0, r_var=1, x_new=2)


class TestBatchnormForward:
    """By hand: mu = 3, deviations (-2, -1, 0, 3), sum of squares 14, so the biased
    variance is 14/4 = 7/2 and the unbiased one 14/3."""

    def test_statistics_are_exact(self):
        r = batchnorm_forward(BN_CASE)
        assert r["mean"] == 3 and r["var"] == F(7, 2)

    def test_outputs(self):
        r = batchnorm_forward(BN_CASE)
        sd = math.sqrt(3.5 + 1e-5)
        assert r["y"] == pytest.approx([2 * d / sd + 1 for d in (-2, -1, 0, 3)], abs=1e-12)

    def test_running_statistics_store_the_unbiased_variance(self):
        """mean: 0.9*0 + 0.1*3 = 3/10; variance: 0.9*1 + 0.1*14/3 = 41/30."""
        r = batchnorm_forward(BN_CASE)
        assert r["running_mean"] == F(3, 10) and r["running_var"] == F(41, 30)

    def test_inference_uses_running_statistics(self):
        r = batchnorm_forward(BN_CASE)
        want = 2 * (2 - 0.3) / math.sqrt(41 / 30 + 1e-5) + 1
        assert r["infer"] == pytest.approx(want, abs=1e-12)

    def test_slips(self):
        assert batchnorm_forward(BN_CASE, bug="unbiased-variance")["var"] == F(14, 3)
        assert batchnorm_forward(BN_CASE, bug="biased-running-var")["running_var"] == \
            F(9, 10) + F(35, 100)
        assert batchnorm_forward(BN_CASE, bug="momentum-swapped")["running_mean"] == F(27, 10)

    def test_follow_through_from_a_given_variance(self):
        """From a student's sigma^2 = 3: running variance 0.9 + 0.1 * 3 * 4/3 = 1.3."""
        r = batchnorm_forward(BN_CASE, given={"var": 3})
        assert r["running_var"] == F(13, 10)

    def test_visible_lists_match_the_yaml(self):
        assert_visible_lists_match("normalization", "batchnorm-forward.yaml", BN_FORWARD_VISIBLE)

    def test_matches_pytorch(self):
        torch = pytest.importorskip("torch")
        rng = np.random.default_rng(1)
        checked = 0
        for _ in range(30):
            p = dict(x=rng.integers(-3, 7, 4).tolist(), gamma=float(rng.choice([0.5, 1.5, 2, 3])),
                     beta=int(rng.choice([-2, -1, 1, 2])), momentum=float(rng.choice([0.1, 0.2, 0.3])),
                     r_mean=int(rng.integers(-2, 3)), r_var=int(rng.choice([1, 2, 4])),
                     x_new=int(rng.integers(-3, 7)))
            try:
                r = batchnorm_forward(p)
            except Reject:
                continue
            bn = torch.nn.BatchNorm1d(1, eps=BN_EPS, momentum=p["momentum"]).double()
            with torch.no_grad():
                bn.weight.fill_(p["gamma"])
                bn.bias.fill_(p["beta"])
                bn.running_mean.fill_(p["r_mean"])
                bn.running_var.fill_(p["r_var"])
            bn.train()
            y = bn(torch.tensor(p["x"], dtype=torch.float64).reshape(4, 1))
            assert r["y"] == pytest.approx(y.detach().ravel().tolist(), abs=1e-9)
            assert float(r["running_mean"]) == pytest.approx(bn.running_mean.item(), abs=1e-12)
            assert float(r["running_var"]) == pytest.approx(bn.running_var.item(), abs=1e-12)
            bn.eval()
            out = bn(torch.tensor([[float(p["x_new"])]], dtype=torch.float64)).item()
            assert r["infer"] == pytest.approx(out, abs=1e-9)
            checked += 1
        assert checked > 10
