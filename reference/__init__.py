"""Reference solvers: pure functions of a problem's drawn parameters.

Each problem family names one solver as ``reference.<module>:<function>``; see
``docs/problem-format.md`` for the contract (``solve(p, *, bug=None, given=None)``).

This folder is the bundled bank's ``reference/``: the grader loads it by file path as a
private package of that bank (``grader.bank.solvers``); nothing named ``reference`` is
installed. ``Reject`` is the grader's own class, so a draw a solver rejects is redone.
"""

from grader.bank.solvers import Reject  # noqa: F401  (solvers write `from reference import Reject`)
