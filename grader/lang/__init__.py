"""The answer-language engine: everything a student types goes through here.

See docs/answer-language-api.md. Parsing builds our own tree with a Lark grammar;
only our code walks it. No student text reaches eval, exec, sympify or parse_expr.
"""

from .errors import DEFAULT_LIMITS, AnswerError, Limits
from .evaluate import evaluate, to_number
from .parser import parse
from .printing import to_latex, to_plain
from .shapes import shape_of
from .sympy_bridge import to_sympy
from .tree import Node, Shape

__all__ = ["AnswerError", "DEFAULT_LIMITS", "Limits", "Node", "Shape", "evaluate", "parse",
           "shape_of", "to_latex", "to_number", "to_plain", "to_sympy"]
