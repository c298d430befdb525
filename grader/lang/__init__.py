"""The answer-language engine: everything a student types goes through here.

See docs/answer-language-api.md. Parsing builds our own tree with a Lark grammar;
only our code walks it. No student text reaches eval, exec, sympify or parse_expr.
"""

import sys

# Trees are walked recursively. Real nesting is capped (Limits.max_tree_depth), but
# a flat sum or product of up to a thousand terms (what max_length allows) is a
# chain as deep as it is long, a few frames per term; Python's default of 1000
# frames would turn such an answer into a RecursionError.
if sys.getrecursionlimit() < 10000:
    sys.setrecursionlimit(10000)

from .errors import DEFAULT_LIMITS, FLOAT_MAX, AnswerError, Limits, too_large
from .evaluate import evaluate, to_number
from .parser import parse
from .printing import to_latex, to_plain
from .shapes import shape_of
from .sympy_bridge import to_sympy
from .tree import Node, Shape


def clear_caches() -> None:
    """Forget every memo the engine keeps (parses, number tokens, name tables, shapes,
    sample points, reference values, constants, printed names). Grading never needs
    this; benchmarks call it so that a pass starts as cold as a fresh process."""
    # (``evaluate`` here is the function, so the module's memo is reached by name)
    from . import equivalence, parser, printing, shapes
    from .evaluate import clear_cache as clear_constants
    parser.clear_cache()
    equivalence.clear_cache()
    clear_constants()
    shapes.clear_cache()
    printing.clear_cache()


__all__ = ["AnswerError", "DEFAULT_LIMITS", "FLOAT_MAX", "too_large", "Limits", "Node", "Shape", "clear_caches",
           "evaluate", "parse", "shape_of", "to_latex", "to_number", "to_plain", "to_sympy"]
