"""Tiny solvers for the deliberately broken families under ``tests/data/broken/problems``.

Each family breaks exactly one rule that ``grader validate`` enforces (see the test in
``tests/e2e/test_validate_detects.py``); ``fine`` breaks none, as a control.
"""


def fine(p, *, bug=None, given=None):
    return {"x": 2 * p["n"] + (1 if bug == "plus-one" else 0)}


def draw_fails(p, *, bug=None, given=None):
    return {"x": p["n"] // 0}


def unwritable(p, *, bug=None, given=None):
    return {"x": "many"}


def positive(p, answer):
    """Property check: the weight must be positive."""
    return None if float(answer) > 0 else "the weight must be positive"


def check_crashes(p, answer):
    raise ValueError("this check is broken")


def negative_weight(p, *, bug=None, given=None):
    return {"w": -1}


def hostile_values(p, *, bug=None, given=None):
    from fractions import Fraction
    return {"f": Fraction(1, 10007), "big": 10 ** 9}


def bug_crashes(p, *, bug=None, given=None):
    if bug == "boom":
        raise KeyError("boom")
    return {"x": 2 * p["n"]}


def bug_silent(p, *, bug=None, given=None):
    return {"x": 2.5 if bug == "half" else 2 * p["n"]}


def bug_same(p, *, bug=None, given=None):
    return {"x": 2 * p["n"]}


def bug_odd_only(p, *, bug=None, given=None):
    return {"x": 2 * p["n"] + (1 if bug == "odd-only" and p["n"] % 2 else 0)}


def zero_often(p, *, bug=None, given=None):
    return {"x": 0 if p["n"] % 3 == 0 else p["n"]}


def constant(p, *, bug=None, given=None):
    return {"x": 5}


def ten_n(p, *, bug=None, given=None):
    return {"x": 10 * p["n"]}
