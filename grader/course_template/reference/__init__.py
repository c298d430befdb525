"""This course's solvers: pure functions of a problem's drawn parameters.

A problem names its solver as `reference.<module>:<function>`; the grader looks it up in
this folder (the bank holding the problem), never in the bundled bank. Raise `Reject` when
a draw makes a poorly posed variant: the draw is redone.
"""

from grader.bank.solvers import Reject  # noqa: F401
