"""Solver of problems/example/neuron-preactivation.yaml.

A solver gets the drawn parameters `p` and returns one value per part id. With
`bug=<name>` it returns the answers a student with that misconception would give
(`grader validate` checks each is caught with its feedback).
"""

from __future__ import annotations

from reference import Reject


def neuron_preactivation(p, *, bug=None, given=None):
    w, x, b = p["w"], p["x"], p["b"]
    if list(x) == list(w):
        raise Reject("weights and inputs must differ")
    weighted = sum(wi * xi for wi, xi in zip(w, x))
    z = weighted if bug == "no-bias" else weighted + b
    grad = list(w) if bug == "weights-for-inputs" else list(x)
    return {"z": z, "grad_w": grad, "depends": False}
