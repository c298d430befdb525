"""Reference solvers of family K (normalization, dropout, softmax cross-entropy), checked
against hand computations, finite differences and, when installed, PyTorch."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest

from bank_yaml import assert_visible_lists_match, solved
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


# --- K5 ---------------------------------------------------------------------------------

from reference.normalization import CE_VISIBLE, softmax_ce_batch  # noqa: E402


def ce_params(rng):
    return dict(Z=rng.integers(-2, 3, (3, 3)).tolist(), y=rng.integers(0, 3, 3).tolist(),
                reduction=str(rng.choice(["mean", "sum"])))



class TestSoftmaxCrossEntropy:
    def test_by_hand_equal_logits(self):
        """Equal logits: P = 1/3 everywhere, L = ln 3 (mean) or 3 ln 3 (sum)."""
        p = dict(Z=[[0, 0, 0], [1, 1, 1], [2, 2, 2]], y=[0, 1, 2], reduction="mean")
        r = softmax_ce_batch.__wrapped__(p)
        assert np.allclose(r["probs"], 1 / 3)
        assert r["loss"] == pytest.approx(math.log(3))
        assert np.allclose(r["grad"], (np.full((3, 3), 1 / 3) - np.eye(3)) / 3)
        s = softmax_ce_batch.__wrapped__(dict(p, reduction="sum"))
        assert s["loss"] == pytest.approx(3 * math.log(3))

    def test_finite_differences(self):
        h = 1e-6
        for p, r in solved(softmax_ce_batch, ce_params):
            Z = np.array(p["Z"], float)

            def loss(Zm):
                lse = np.log(np.exp(Zm).sum(axis=1))
                per = lse - Zm[np.arange(3), p["y"]]
                return per.mean() if p["reduction"] == "mean" else per.sum()

            assert r["loss"] == pytest.approx(loss(Z), abs=1e-12)
            num = np.zeros((3, 3))
            for idx in np.ndindex(3, 3):
                E = np.zeros((3, 3))
                E[idx] = h
                num[idx] = (loss(Z + E) - loss(Z - E)) / (2 * h)
            assert np.allclose(r["grad"], num, atol=1e-6)

    def test_visible_lists_match_the_yaml(self):
        assert_visible_lists_match("normalization", "softmax-ce-batch.yaml", CE_VISIBLE)

    def test_matches_pytorch(self):
        torch = pytest.importorskip("torch")
        for p, r in solved(softmax_ce_batch, ce_params, seed=4):
            Z = torch.tensor(p["Z"], dtype=torch.float64, requires_grad=True)
            L = torch.nn.functional.cross_entropy(Z, torch.tensor(p["y"]), reduction=p["reduction"])
            L.backward()
            assert r["loss"] == pytest.approx(L.item(), abs=1e-12)
            assert np.allclose(r["grad"], Z.grad.numpy(), atol=1e-12)
            assert np.allclose(r["probs"], torch.softmax(Z, 1).detach().numpy(), atol=1e-12)


# --- K3 ---------------------------------------------------------------------------------

import itertools  # noqa: E402

from reference.normalization import DROPOUT_VISIBLE, dropout_backward  # noqa: E402

DROP = dict(p=0.25, x=[2, -1, 3, 1, -2], mask=[1, 0, 1, 1, 0], g=[1, 2, -1, 1, 2],
            p_dc=0.4, w=[1, -2, 2, 1], u=[3, 1, -1, 2])


class TestDropout:
    def test_by_hand(self):
        """Keep probability 3/4, so kept values are multiplied by 4/3. DropConnect terms
        w*u = (3, -2, -2, 2): sum 1, squares 21; q = 0.6, E = 0.6, Var = 0.24 * 21."""
        r = dropout_backward(DROP)
        assert r["y"] == [F(8, 3), 0, 4, F(4, 3), 0]
        assert r["dx"] == [F(4, 3), 0, F(-4, 3), F(4, 3), 0]
        assert r["y_eval"] == DROP["x"]
        assert r["dc_mean"] == F(3, 5)
        assert r["dc_var"] == F(24, 100) * 21

    def test_dropconnect_moments_by_enumerating_masks(self):
        rng = np.random.default_rng(2)
        for _ in range(20):
            w, u = rng.choice([-2, -1, 1, 2], 4), rng.choice([-3, -2, -1, 1, 2, 3], 4)
            p_dc = float(rng.choice([0.2, 0.25, 0.4, 0.6, 0.75]))
            q = 1 - F(str(p_dc))
            mean = second = F(0)
            for m in itertools.product((0, 1), repeat=4):
                prob = np.prod([q if k else 1 - q for k in m])
                z = sum(int(k) * int(a) * int(b) for k, a, b in zip(m, w, u))
                mean += prob * z
                second += prob * z * z
            params = dict(DROP, p_dc=p_dc, w=w.tolist(), u=u.tolist())
            r = dropout_backward.__wrapped__(params)
            assert r["dc_mean"] == mean and r["dc_var"] == second - mean ** 2

    def test_visible_lists_match_the_yaml(self):
        assert_visible_lists_match("normalization", "dropout-backward.yaml", DROPOUT_VISIBLE)

    def test_matches_pytorch(self):
        """Let nn.Dropout draw a mask, read it off its output, and compare the forward
        values and the autograd gradient with the solver given that mask."""
        torch = pytest.importorskip("torch")
        torch.manual_seed(0)
        checked = 0
        for p in (0.2, 0.25, 0.4, 0.6, 0.75, 0.8) * 4:
            x = torch.tensor(DROP["x"], dtype=torch.float64, requires_grad=True)
            layer = torch.nn.Dropout(p)
            layer.train()
            y = layer(x)
            mask = (y != 0).int().tolist()
            if 0 not in mask or 1 not in mask:
                continue
            (y * torch.tensor(DROP["g"], dtype=torch.float64)).sum().backward()
            r = dropout_backward.__wrapped__(dict(DROP, p=p, mask=mask))
            assert np.allclose(np.array(r["y"], float), y.detach().numpy(), atol=1e-12)
            assert np.allclose(np.array(r["dx"], float), x.grad.numpy(), atol=1e-12)
            layer.eval()
            assert np.allclose(np.array(r["y_eval"], float), layer(x).detach().numpy())
            checked += 1
        assert checked > 5


# --- K2 ---------------------------------------------------------------------------------

from reference.normalization import BN_BACKWARD_VISIBLE, batchnorm_backward  # noqa: E402

BNB = dict(x=[0, 0, 2, 2], gamma=2, beta=1, g=[1, 0, 0, 1],
           L=[[1, 2, 3], [0, 0, 3]], ln_gamma=[1, 2, 0.5], ln_beta=[0, 1, -1])


def bnb_params(rng):
    return dict(x=rng.integers(-3, 7, 4).tolist(), gamma=float(rng.choice([0.5, 1.5, 2, 3])),
                beta=1, g=rng.choice([-2, -1, 1, 2], 4).tolist(), L=rng.integers(-2, 5, (2, 3)).tolist(),
                ln_gamma=rng.choice([0.5, 1, 2], 3).tolist(), ln_beta=rng.integers(-1, 2, 3).tolist())


def bn_loss(x, gamma, g):
    """<g, y> for batch norm written out directly (biased variance)."""
    mu = x.mean()
    return float((g * (gamma * (x - mu) / np.sqrt(((x - mu) ** 2).mean() + BN_EPS))).sum())


class TestBatchnormBackward:
    def test_by_hand(self):
        """mu = 1, sigma^2 = 1, xhat = (-1, -1, 1, 1)/s with s = sqrt(1 + eps): dbeta = 2,
        dgamma = 0, so dx = (2/s)(g - 1/2) = (1, -1, -1, 1)/s. Layer norm of (1, 2, 3):
        mean 2, variance 2/3; of (0, 0, 3): mean 1, variance 2."""
        r = batchnorm_backward.__wrapped__(BNB)
        s = math.sqrt(1 + BN_EPS)
        assert r["dbeta"] == 2 and r["dgamma"] == pytest.approx(0, abs=1e-12)
        assert r["dx"] == pytest.approx([1 / s, -1 / s, -1 / s, 1 / s], abs=1e-12)
        a, b = math.sqrt(2 / 3 + BN_EPS), math.sqrt(2 + BN_EPS)
        want = [[-1 / a, 2 * 0 + 1, 0.5 / a - 1], [-1 / b, 2 * -1 / b + 1, 0.5 * 2 / b - 1]]
        assert np.allclose(r["ln"], want, atol=1e-12)

    def test_finite_differences(self):
        h = 1e-6
        for p, r in solved(batchnorm_backward, bnb_params, n=20):
            x, g = np.array(p["x"], float), np.array(p["g"], float)
            num = [(bn_loss(x + h * e, p["gamma"], g) - bn_loss(x - h * e, p["gamma"], g)) / (2 * h)
                   for e in np.eye(4)]
            assert np.allclose(r["dx"], num, atol=1e-5)
            dgamma = (bn_loss(x, p["gamma"] + h, g) - bn_loss(x, p["gamma"] - h, g)) / (2 * h)
            assert r["dgamma"] == pytest.approx(dgamma, abs=1e-5)

    def test_follow_through_uses_the_given_sums(self):
        r = batchnorm_backward.__wrapped__(BNB, given={"dbeta": 0, "dgamma": 0})
        s = math.sqrt(1 + BN_EPS)
        assert r["dx"] == pytest.approx([2 / s, 0, 0, 2 / s], abs=1e-12)

    def test_visible_lists_match_the_yaml(self):
        assert_visible_lists_match("normalization", "batchnorm-backward.yaml", BN_BACKWARD_VISIBLE)

    def test_matches_pytorch(self):
        torch = pytest.importorskip("torch")
        Fn = torch.nn.functional
        for p, r in solved(batchnorm_backward, bnb_params, seed=7):
            x = torch.tensor(p["x"], dtype=torch.float64)[:, None].requires_grad_()
            w = torch.tensor([float(p["gamma"])], dtype=torch.float64, requires_grad=True)
            b = torch.tensor([float(p["beta"])], dtype=torch.float64, requires_grad=True)
            y = Fn.batch_norm(x, None, None, w, b, training=True, eps=BN_EPS)
            (y[:, 0] * torch.tensor(p["g"], dtype=torch.float64)).sum().backward()
            assert np.allclose(r["dx"], x.grad[:, 0].numpy(), atol=1e-12)
            assert r["dgamma"] == pytest.approx(w.grad.item(), abs=1e-12)
            assert r["dbeta"] == pytest.approx(b.grad.item(), abs=1e-12)
            ln = Fn.layer_norm(torch.tensor(p["L"], dtype=torch.float64), (3,),
                               torch.tensor(p["ln_gamma"], dtype=torch.float64),
                               torch.tensor(p["ln_beta"], dtype=torch.float64), eps=BN_EPS)
            assert np.allclose(r["ln"], ln.numpy(), atol=1e-12)
