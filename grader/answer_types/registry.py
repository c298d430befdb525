"""Answer types by name. Adding a type: write its module, then add one line here."""

from __future__ import annotations

from .array import MatrixAnswer, VectorAnswer
from .boolean import BooleanAnswer
from .choice import ChoiceAnswer
from .expression import ExpressionAnswer
from .integer import IntegerAnswer
from .matrix_expression import MatrixExpressionAnswer
from .multi_choice import MultiChoiceAnswer
from .number import NumberAnswer
from .structured import PropertyAnswer

ANSWER_TYPES = {cls.name: cls for cls in (
    IntegerAnswer, NumberAnswer, VectorAnswer, MatrixAnswer, ExpressionAnswer,
    MatrixExpressionAnswer, ChoiceAnswer, MultiChoiceAnswer, BooleanAnswer, PropertyAnswer,
)}
