"""Reference solvers of family I (convolutions), checked against hand computations,
finite differences and, when installed, PyTorch (F.conv2d, pooling, autograd, nn.Conv2d)."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from bank_yaml import solved, yaml_parts
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
        for p, r in solved(conv_by_hand, conv_params, n=20):
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


# --- I1 ---------------------------------------------------------------------------------

from reference.convolutions import conv_stack  # noqa: E402

STACK = dict(n=32, c_in=3, k1=5, s1=2, p1=2, d1=2, c1=16, c2=32, g=4, s2=1, p2=1)


def stack_params(rng):
    pick = lambda *o: int(rng.choice(o))  # noqa: E731
    return dict(n=int(rng.integers(28, 65)), c_in=pick(2, 3, 4), k1=pick(3, 5, 7), s1=pick(1, 2),
                p1=int(rng.integers(1, 4)), d1=pick(2, 3), c1=pick(8, 16, 24, 32),
                c2=pick(16, 32, 48, 64), g=pick(2, 4, 8), s2=pick(1, 2), p2=pick(1, 2))


class TestConvStack:
    def test_by_hand(self):
        """Layer 1 spans 2*4 + 1 = 9 pixels: (32 + 4 - 9) // 2 + 1 = 14; pooled 7; layer 3:
        (7 + 2 - 3) + 1 = 7. Parameters 16 * (3 * 25 + 1) = 1216 and 32 * 4 * 9 = 1152.
        Receptive field 1 + 8 * 1 + 1 * 2 + 2 * 4 = 19."""
        assert conv_stack(STACK) == dict(h1=14, h2=7, h3=7, params1=1216, params2=1152, rf=19)

    def test_slips(self):
        assert conv_stack(STACK, bug="off-by-one")["h1"] == 13
        assert conv_stack(STACK, bug="forgotten-padding")["h1"] == 12
        assert conv_stack(STACK, bug="dilation-ignored")["h1"] == 16
        assert conv_stack(STACK, bug="strides-ignored")["rf"] == 1 + 8 + 1 + 2
        assert conv_stack(STACK, bug="groups-ignored")["params2"] == 32 * 16 * 9

    def test_follow_through(self):
        assert conv_stack(STACK, given={"h1": 15})["h2"] == 7
        assert conv_stack(STACK, given={"h2": 8})["h3"] == 8

    def test_matches_pytorch(self):
        """Shapes and counts from nn.Conv2d; the receptive field as the support of the input
        gradient of one central output pixel (all weights 1, average pooling in place of max
        pooling so that the gradient reaches every pixel of a window)."""
        torch = pytest.importorskip("torch")
        nn = torch.nn
        for p, r in solved(conv_stack, stack_params, n=10):
            conv1 = nn.Conv2d(p["c_in"], p["c1"], p["k1"], p["s1"], p["p1"], p["d1"])
            conv2 = nn.Conv2d(p["c1"], p["c2"], 3, p["s2"], p["p2"], groups=p["g"], bias=False)
            x = torch.zeros(1, p["c_in"], p["n"], p["n"])
            y1 = conv1(x)
            y2 = nn.MaxPool2d(2)(y1)
            y3 = conv2(y2)
            assert (y1.shape[-1], y2.shape[-1], y3.shape[-1]) == (r["h1"], r["h2"], r["h3"])
            assert r["params1"] == sum(t.numel() for t in conv1.parameters())
            assert r["params2"] == sum(t.numel() for t in conv2.parameters())
            side = 4 * r["rf"]
            stack = nn.Sequential(nn.Conv2d(1, 1, p["k1"], p["s1"], 0, p["d1"], bias=False),
                                  nn.AvgPool2d(2), nn.Conv2d(1, 1, 3, p["s2"], 0, bias=False))
            for m in stack:
                if hasattr(m, "weight"):
                    nn.init.ones_(m.weight)
            inp = torch.ones(1, 1, side, side, requires_grad=True)
            out = stack(inp)
            out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
            rows = torch.nonzero(inp.grad[0, 0].abs().sum(1)).ravel()
            assert int(rows.max() - rows.min() + 1) == r["rf"]


# --- I3 ---------------------------------------------------------------------------------

from reference.convolutions import CONV_BACK_VISIBLE, conv_backward  # noqa: E402
from bank_yaml import assert_visible_lists_match  # noqa: E402

BACK = dict(X=[[1, 2, 0], [0, 1, 3], [2, 0, 1]], W=[[1, 0], [2, -1]], G=[[1, -1], [2, 1]],
            Z=[[1, 3, 0, 2], [3, 0, 1, 1], [0, 0, 2, 1], [1, 0, 0, 2]], Gp=[[1, -2], [3, 2]])


def back_params(rng):
    n = int(rng.integers(3, 5))
    return dict(X=rng.integers(-2, 4, (n, n)).tolist(), W=rng.choice([-2, -1, 1, 2], (2, 2)).tolist(),
                G=rng.choice([-2, -1, 1, 2], (n - 1, n - 1)).tolist(),
                Z=rng.integers(0, 4, (4, 4)).tolist(), Gp=rng.choice([-3, -1, 1, 2, 3], (2, 2)).tolist())


class TestConvBackward:
    def test_by_hand(self):
        """dW_uv = sum G_ij X_{i+u, j+v}; dX_ab = sum G_ij W_{a-i, b-j}; the two tied windows
        of Z send their gradient to the first maximum: (0, 1) and (2, 2)."""
        r = conv_backward(BACK)
        assert r["dW"] == [[0, 7], [3, -1]] and r["db"] == 3
        assert r["dX"] == [[1, -1, 0], [4, -2, 1], [4, 0, -1]]
        assert r["dZ"] == [[0, 1, 0, -2], [0, 0, 0, 0], [0, 0, 2, 0], [3, 0, 0, 0]]

    def test_tie_slips(self):
        assert conv_backward(BACK, bug="all-maxima")["dZ"][1][0] == 1
        assert conv_backward(BACK, bug="spread-evenly")["dZ"][0][0] == F(1, 4)

    def test_visible_lists_match_the_yaml(self):
        assert_visible_lists_match("convolutions", "conv-backprop.yaml", CONV_BACK_VISIBLE)

    def test_finite_differences(self):
        """L = <G, Y> is linear in X, W and b, so central differences are exact."""
        from reference.convolutions import cross_correlate
        for p, r in solved(conv_backward, back_params, n=15):
            X, W, G = (np.array(p[k], float) for k in "XWG")

            def loss(X, W, b=0.0):
                return float((np.array(cross_correlate(X[None], W[None], b), float) * G).sum())

            for name, A in (("dX", X), ("dW", W)):
                num = np.zeros_like(A)
                for idx in np.ndindex(A.shape):
                    E = np.zeros_like(A)
                    E[idx] = 0.5
                    args = (X + E, W) if name == "dX" else (X, W + E)
                    back = (X - E, W) if name == "dX" else (X, W - E)
                    num[idx] = loss(*args) - loss(*back)
                assert np.allclose(np.array(r[name], float), num), name
            assert r["db"] == pytest.approx(loss(X, W, 0.5) - loss(X, W, -0.5))

    def test_matches_pytorch(self):
        torch = pytest.importorskip("torch")
        Fn = torch.nn.functional
        for p, r in solved(conv_backward, back_params, n=30):
            t = lambda k: torch.tensor(p[k], dtype=torch.float64)  # noqa: E731
            X, W = t("X")[None, None].requires_grad_(), t("W")[None, None].requires_grad_()
            b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
            (Fn.conv2d(X, W, b) * t("G")).sum().backward()
            assert np.allclose(np.array(r["dW"], float), W.grad[0, 0].numpy())
            assert np.allclose(np.array(r["dX"], float), X.grad[0, 0].numpy())
            assert float(r["db"]) == pytest.approx(b.grad.item())
            Z = t("Z")[None, None].requires_grad_()
            (Fn.max_pool2d(Z, 2) * t("Gp")).sum().backward()
            assert np.allclose(np.array(r["dZ"], float), Z.grad[0, 0].numpy())


# --- I4 ---------------------------------------------------------------------------------

from reference.convolutions import cnn_vs_dense  # noqa: E402

SMALL = dict(H=16, C=1, k=3, C1=8, C2=16, N=64, K=10)


class TestCnnVsDense:
    def test_by_hand(self):
        """CNN: 8*(9+1) + 16*(72+1) + 10*(16+1) = 1418 parameters;
        256*8*9 + 64*16*72 + 16*10 = 92320 multiply-adds. Dense: 256*64 + 64 + 64*10 + 10 =
        17098 parameters, 16384 + 640 = 17024 multiply-adds."""
        assert cnn_vs_dense(SMALL) == dict(cnn_params=1418, cnn_macs=92320,
                                           dense_params=17098, dense_macs=17024)

    def test_matches_pytorch_modules(self):
        """Parameters of the same modules in PyTorch; multiply-adds from the output shapes
        recorded by forward hooks (output elements times the weights feeding each)."""
        torch = pytest.importorskip("torch")
        nn = torch.nn
        for H, C, k, C1, C2, N, K in ((16, 1, 3, 8, 16, 64, 10), (32, 3, 5, 32, 64, 512, 100),
                                      (28, 3, 3, 16, 32, 128, 10)):
            p = dict(H=H, C=C, k=k, C1=C1, C2=C2, N=N, K=K)
            cnn = nn.Sequential(nn.Conv2d(C, C1, k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2),
                                nn.Conv2d(C1, C2, 3, padding=1), nn.ReLU(),
                                nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(C2, K))
            dense = nn.Sequential(nn.Flatten(), nn.Linear(H * H * C, N), nn.ReLU(), nn.Linear(N, K))
            macs = []

            def hook(m, inp, out):
                per_output = m.weight[0].numel() if isinstance(m, nn.Conv2d) else m.in_features
                macs.append(out.numel() * per_output)

            for m in list(cnn) + list(dense):
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    m.register_forward_hook(hook)
            x = torch.zeros(1, C, H, H)
            cnn(x)
            n_cnn = sum(macs)
            macs.clear()
            dense(x)
            r = cnn_vs_dense(p)
            assert r["cnn_params"] == sum(t.numel() for t in cnn.parameters())
            assert r["dense_params"] == sum(t.numel() for t in dense.parameters())
            assert (r["cnn_macs"], r["dense_macs"]) == (n_cnn, sum(macs))
