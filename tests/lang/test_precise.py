"""The high-precision layer: exact folding, honest constants, point verdicts.

Expected values come from exact arithmetic done by hand (Fractions) or from
mathematical identities, not from the module itself."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from grader.lang import parse, to_plain
from grader.lang import precise

N = {"t": (), "x": (3, 1)}


def test_fold_computes_rational_constants_exactly():
    assert to_plain(precise.fold(parse("t + 1e12 - 1e12", names=N))) == "t"
    assert to_plain(precise.fold(parse("-1 + t + 1", names=N))) == "t"
    assert to_plain(precise.fold(parse("10^16 + 1 - 10^16", names=N))) == "1"
    assert to_plain(precise.fold(parse("x*(10^20 + 1 - 10^20)", names=N))) == "x*1"
    node = parse("exp(40) + 1 - exp(40)", names=N)          # not rational: left alone
    assert precise.fold(node) is node


def test_rational_values_and_their_bounds():
    assert precise.rational(parse("10^16 + 1 - 10^16")) == 1
    assert precise.rational(parse("(1/3)*3 - 2^-2")) == Fraction(3, 4)
    assert precise.rational(parse("exp(1)")) is None
    assert precise.rational(parse("1/0")) is None
    assert precise.rational(parse("(10^1000)^1000")) is None      # too big to hold


def test_constants_keep_every_term():
    assert precise.constant(parse("exp(40) + 1 - exp(40)")) == 1
    assert precise.constant(parse("exp(300) + 2 - exp(300)")) == 2
    assert abs(precise.constant(parse("sin(10^20)")) - (-0.6452512852657808)) < 1e-15
    assert math.isinf(precise.constant(parse("exp(1000)")).real)      # beyond floats
    assert precise.constant(parse("log(0)")) is None


def _env(**values):
    return {name: np.array(v, dtype=complex).reshape(1, 1, 1) for name, v in values.items()}


def test_points_are_settled_by_no_lost_term():
    names = {"t": ()}
    env = _env(t=0.37)
    ref = parse("2*t", names=names)
    assert precise.settle_point(ref, parse("t + 1e12 - 1e12 + t", names=names), env, 0) is True
    assert precise.settle_point(ref, parse("t + 1e12 - 1e12", names=names), env, 0) is False
    assert precise.settle_point(ref, parse("2*t + exp(40) + 1 - exp(40)", names=names),
                                env, 0) is False
    assert precise.settle_point(ref, parse("2*t*(sin(10^20)^2 + cos(10^20)^2)", names=names),
                                env, 0) is True
    assert precise.settle_point(parse("exp(100)"), parse("exp(100) + 1"), {}, 0) is False
    assert precise.settle_point(ref, parse("2*t/(t - t)", names=names), env, 0) is None
