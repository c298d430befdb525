"""Reference solver of family K4 (scaled dot-product attention), checked against a hand
computation, finite differences of a separately written forward pass and, when installed,
PyTorch (F.scaled_dot_product_attention, autograd, nn.MultiheadAttention)."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest

from bank_yaml import assert_visible_lists_match
from reference import Reject
from reference.attention import ATTENTION_VISIBLE, scaled_dot_product_attention

CASE = dict(Q=[[1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0]],
            K=[[1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0]],
            V=[[1, 0], [0, 2], [-1, 1]], G=[[1, 0], [0, 1], [1, -1]],
            d_model=64, heads=8, d_pe=4, pos=2, k=0)


def random_params(rng):
    return dict(Q=rng.integers(-1, 2, (3, 4)).tolist(), K=rng.integers(-1, 2, (3, 4)).tolist(),
                V=rng.integers(-2, 3, (3, 2)).tolist(), G=rng.integers(-1, 2, (3, 2)).tolist(),
                d_model=int(rng.choice([32, 64, 768])), heads=int(rng.choice([4, 8])),
                d_pe=int(rng.choice([4, 8, 16])), pos=int(rng.integers(1, 10)),
                k=int(rng.integers(0, 2)))


def draws(n=25, seed=3):
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        p = random_params(rng)
        try:
            out.append((p, scaled_dot_product_attention(p)))
        except Reject:
            pass
    return out


def loss_of(Q, K, V, G):
    """<G, O> for causal attention, written out entry by entry (independent of the solver)."""
    total = 0.0
    for i in range(3):
        s = [sum(Q[i][t] * K[j][t] for t in range(4)) / 2 for j in range(i + 1)]
        e = [math.exp(v) for v in s]
        a = [v / sum(e) for v in e]
        for c in range(2):
            total += G[i][c] * sum(a[j] * V[j][c] for j in range(i + 1))
    return total


class TestByHand:
    def test_scores_and_weights(self):
        r = scaled_dot_product_attention(CASE)
        assert r["scores"] == [[F(1, 2), 0, F(1, 2)], [0, F(1, 2), F(1, 2)], [F(1, 2), F(1, 2), 1]]
        e = math.exp(0.5)
        want = [[1, 0, 0], [1 / (1 + e), e / (1 + e), 0], [1 / (2 + e), 1 / (2 + e), e / (2 + e)]]
        assert np.allclose(r["weights"], want, atol=1e-12)

    def test_output_row_two(self):
        e = math.exp(0.5)
        r = scaled_dot_product_attention(CASE)
        assert r["output"][1] == pytest.approx([1 / (1 + e), 2 * e / (1 + e)], abs=1e-12)

    def test_counts_and_encoding(self):
        """4 * 64^2 + 4 * 64 = 16640; PE(2, 0), PE(2, 1): angle 2; PE(2, 2), PE(2, 3) at
        d = 4: angle 2 / 10000^(1/2) = 0.02."""
        r = scaled_dot_product_attention(CASE)
        assert r["mha_params"] == 16640
        assert r["pe"] == pytest.approx([math.sin(2), math.cos(2)], abs=1e-12)
        r = scaled_dot_product_attention.__wrapped__(dict(CASE, k=1))
        assert r["pe"] == pytest.approx([math.sin(0.02), math.cos(0.02)], abs=1e-12)

    def test_slips(self):
        assert scaled_dot_product_attention(CASE, bug="no-scale")["scores"][2][2] == 2
        assert scaled_dot_product_attention(CASE, bug="scale-by-d")["scores"][2][2] == F(1, 2)
        cols = scaled_dot_product_attention(CASE, bug="softmax-columns")["weights"]
        assert cols[2][2] == pytest.approx(1.0)     # the last key is seen by the last query only

    def test_visible_lists_match_the_yaml(self):
        assert_visible_lists_match("attention", "scaled-dot-product-attention.yaml",
                                   ATTENTION_VISIBLE)


class TestGradients:
    def test_finite_differences(self):
        h = 1e-6
        for p, r in draws(15):
            Q, K, V, G = (np.array(p[k], float) for k in "QKVG")
            for name, X in (("grad_q", Q), ("grad_v", V)):
                num = np.zeros_like(X)
                for idx in np.ndindex(X.shape):
                    Xp, Xm = X.copy(), X.copy()
                    Xp[idx] += h
                    Xm[idx] -= h
                    args_p = dict(Q=Q, K=K, V=V, G=G)
                    args_m = dict(args_p)
                    key = "Q" if name == "grad_q" else "V"
                    args_p[key], args_m[key] = Xp, Xm
                    num[idx] = (loss_of(**args_p) - loss_of(**args_m)) / (2 * h)
                assert np.allclose(r[name], num, atol=1e-6), name

    def test_follow_through_from_given_weights(self):
        """With the student's A, O = A V and dL/dV = A^T G use that A."""
        A = [[1, 0, 0], [0.5, 0.5, 0], [0.2, 0.3, 0.5]]
        r = scaled_dot_product_attention(CASE, given={"weights": A})
        assert np.allclose(r["output"], np.array(A) @ np.array(CASE["V"]))
        assert np.allclose(r["grad_v"], np.array(A).T @ np.array(CASE["G"]))


def test_matches_pytorch():
    torch = pytest.importorskip("torch")
    F_ = torch.nn.functional
    for p, r in draws(20, seed=5):
        Q, K, V, G = (torch.tensor(p[k], dtype=torch.float64) for k in "QKVG")
        Q.requires_grad_(True)
        V.requires_grad_(True)
        O = F_.scaled_dot_product_attention(Q[None], K[None], V[None], is_causal=True)[0]
        (O * G).sum().backward()
        assert np.allclose(r["output"], O.detach().numpy(), atol=1e-9)
        assert np.allclose(r["grad_q"], Q.grad.numpy(), atol=1e-9)
        assert np.allclose(r["grad_v"], V.grad.numpy(), atol=1e-9)
        mha = torch.nn.MultiheadAttention(p["d_model"], p["heads"])
        assert r["mha_params"] == sum(t.numel() for t in mha.parameters())
