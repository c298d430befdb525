"""Reference solvers: pure functions of a problem's drawn parameters.

Each problem family names one solver as ``reference.<module>:<function>``; see
``docs/problem-format.md`` for the contract (``solve(p, *, bug=None, given=None)``).

This folder is the bundled bank's ``reference/``: the grader loads it by file path as a
private package of that bank (``grader.bank.solvers``); nothing named ``reference`` is
installed. ``Reject`` (a draw the solver refuses is redone) and ``Undecided`` (a property
check that cannot settle an answer) are the grader's own classes.
"""

# The grader's own classes, so it recognises them whichever bank a solver comes from.
from grader.bank.solvers import Reject, Undecided  # noqa: F401  (solvers: `from reference import Reject`)
