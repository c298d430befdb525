"""Reference solvers: pure functions of a problem's drawn parameters.

Each problem family names one solver as ``reference.<module>:<function>``; see
``docs/problem-format.md`` for the contract (``solve(p, *, bug=None, given=None)``).
"""


class Reject(Exception):
    """Raised by a solver when a draw makes a poorly posed variant; the draw is redone."""


class Undecided(str):
    """Returned by a property check that cannot settle an answer honestly (e.g. the sign of a
    pre-activation lost in floating-point rounding): the answer is left `undecided`."""
