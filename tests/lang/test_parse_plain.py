"""The plain-text answer language: what each input is read as, and what errors say."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.lang import AnswerError, parse, to_plain
from grader.lang.tree import Call, Const, Identity, Mul, Neg, Num, Pow, Sym, Transpose

NAMES = {"x": (), "y": (), "t": (), "s": (), "a": (), "b": (), "lambda": (), "x1": (),
         "w_1": (), "A": (3, 3), "B": (3, 3), "v": (3, 1)}


@pytest.mark.parametrize("text, expected", [
    # numbers and constants
    ("3", "3"), ("-2.5", "-2.5"), ("1e-3", "0.001"), ("2E3", "2000"), (".5", "0.5"),
    ("3/4", "3/4"), ("e", "e"), ("pi", "pi"), ("π", "pi"), ("１２", "12"),
    # operators and precedence
    ("x**2", "x^2"), ("-x^2", "-x^2"), ("2^-1", "2^(-1)"), ("x^2^3", "x^2^3"),
    ("a-b-x", "a - b - x"), ("a-(b-x)", "a - (b - x)"), ("x/y/2", "x/y/2"),
    ("x/(y/2)", "x/(y/2)"), ("--x", "-(-x)"), ("+x", "x"), ("1/2x", "1/2*x"), ("x/2y", "x/2*y"),
    ("exp(x)/(1+exp(x))", "exp(x)/(1 + exp(x))"),
    # implicit multiplication
    ("2x", "2*x"), ("x y", "x*y"), ("xy", "x*y"), ("2x^2y", "2*x^2*y"),
    ("(a+b)(a-b)", "(a + b)*(a - b)"), ("2 sigma(t)", "2*sigmoid(t)"),
    ("s(1-s)", "s*(1 - s)"), ("x(a+b)", "x*(a + b)"), ("2(3)", "2*3"),
    ("e^x(1+x)", "e^x*(1 + x)"), ("sigma(t)(1 - sigma(t))", "sigmoid(t)*(1 - sigmoid(t))"),
    # functions, with and without brackets
    ("ln x", "log(x)"), ("-log x", "-log(x)"), ("log x^2", "log(x^2)"),
    ("log(x)^2", "log(x)^2"), ("2 log x / 3", "2*log(x)/3"), ("σ(t)", "sigmoid(t)"),
    ("sigmoid(t)", "sigmoid(t)"), ("max(0, x)", "max(0, x)"), ("min(a, b, 0)", "min(a, b, 0)"),
    ("sqrt(x)", "sqrt(x)"), ("√x", "sqrt(x)"), ("√(x+1)", "sqrt(x + 1)"), ("abs(x)", "abs(x)"),
    ("tanh(x)", "tanh(x)"), ("exp(-x)", "exp(-x)"), ("sin(x)+cos(x)+tan(x)", "sin(x) + cos(x) + tan(x)"),
    # Unicode operators
    ("x · y", "x*y"), ("x × y", "x*y"), ("x − y", "x - y"), ("x²", "x^2"), ("x³+1", "x^3 + 1"),
    ("λx", "lambda*x"), ("2λ", "2*lambda"), ("lambda x", "lambda*x"),
    # declared multi-letter names
    ("x1", "x1"), ("w_1", "w_1"), ("w1", "w_1"), ("2x1", "2*x1"),
    # matrices
    ("A^T", "A^T"), ("A'", "A^T"), ("A^{T}", "A^T"), ("Aᵀ", "A^T"), ("A^⊤", "A^T"),
    ("A^{-1}", "A^(-1)"), ("A⁻¹", "A^(-1)"), ("inv(A)", "inv(A)"), ("det(A)", "det(A)"),
    ("tr(A B)", "tr(A*B)"), ("A @ v", "A*v"), ("A .* B", "A .* B"), ("A ⊙ B", "A .* B"),
    ("A ∘ B", "A .* B"), ("v^T A v", "v^T*A*v"), ("v'Av", "v^T*A*v"), ("A + I", "A + I"),
    ("v^T (A + A^T)", "v^T*(A + A^T)"), ("(A B)^T", "(A*B)^T"), ("A^T^T", None),
    # bracket literals
    ("[1, 2]", "[1, 2]"), ("[[1,2],[3,4]]", "[[1, 2], [3, 4]]"), ("[1, 2; 3, 4]", "[[1, 2], [3, 4]]"),
    ("[[1],[2]]", "[[1], [2]]"), ("[1; 2]", "[[1], [2]]"), ("[x, 2x]", "[x, 2*x]"),
])
def test_reads_as(text, expected):
    """Each input is read as the canonical plain form."""
    if expected is None:
        with pytest.raises(AnswerError):
            parse(text, names=NAMES)
        return
    assert to_plain(parse(text, names=NAMES)) == expected


def test_tree_shapes_of_simple_inputs():
    """The tree is built from our own node types with exact numbers."""
    assert parse("2x", names=NAMES) == Mul(Num(Fraction(2)), Sym("x"))
    assert parse("-0.25") == Neg(Num(Fraction(1, 4)))
    assert parse("e^pi") == Pow(Const("e"), Const("pi"))
    assert parse("σ(t)", names=NAMES) == Call("sigmoid", (Sym("t"),))
    assert parse("A'", names=NAMES) == Transpose(Sym("A"))
    assert parse("I") == Identity()


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"), ("   ", "empty"), ("2 +", "ends too early"), ("(x", "never closed"),
    ("x)", "unmatched ')'"), ("(x]", "closed by"), ("|x|", "abs(x)"), ("3,5", "use a dot"),
    ("x = 2", "without '='"), ("x!", "factorials"), ("foo", "unknown name 'foo'"),
    ("sigmoud(t)", "did you mean 'sigmoid'"), ("z", "variables here: A, B, a, b"),
    ("log", "needs an argument"), ("2 + log", "needs an argument"), ("max(x)", "at least two"),
    ("exp(x, y)", "takes one argument"), ("2 3", "two numbers side by side"),
    ("x(1, 2)", "is not a function"), ("[1, [2]]", "mixes numbers and rows"),
    ("[[1, 2], [3]]", "different lengths"), ("[[[1]]]", "too many levels"),
    ("x^1001", "too large"), ("2^(1/0)", "not a finite number"), ("1" * 61, "too many digits"),
    ("1e2000", "too large: at most"), ("1e-2000", "out of range"), ("$x", "must end with"), ("x$", "unexpected '$'"),
    ("2..5", "unexpected character '.'"), ("x ^", "ends too early"), ("* x", "unexpected '*'"),
    ("sin^2 x", "needs an argument"),
])
def test_error_messages(text, fragment):
    """Unreadable input raises AnswerError with a message that says what to fix."""
    with pytest.raises(AnswerError) as caught:
        parse(text, names=NAMES)
    assert fragment in caught.value.message


def test_ambiguous_split_is_an_error():
    """A run of letters that splits into declared names in two ways is refused."""
    with pytest.raises(AnswerError, match="more than one way"):
        parse("aba", names={"a": (), "ab": (), "b": (), "ba": ()})


def test_error_position_points_into_the_text_as_typed():
    """Positions count characters of the original text, before Unicode clean-up."""
    with pytest.raises(AnswerError) as caught:
        parse("σ(t) + !", names={"t": ()})
    assert caught.value.position == 7
    with pytest.raises(AnswerError) as caught:
        parse("x + $", names={"x": ()})
    assert caught.value.position == 4


class TestDeclaredNamesWin:
    """A declared variable overrides a constant, the identity or a function name."""

    def test_e_and_pi_and_identity(self):
        assert parse("e", names={"e": ()}) == Sym("e")
        assert parse("pi", names={"pi": ()}) == Sym("pi")
        assert parse("I", names={"I": (3, 3)}) == Sym("I")

    def test_sigma_as_a_variable(self):
        assert to_plain(parse("sigma^2", names={"sigma": ()})) == "sigma^2"
        assert to_plain(parse("sigma(t)", names={"sigma": (), "t": ()})) == "sigma*t"

    def test_t_as_a_temperature(self):
        names = {"T": (), "z": (), "v": (3, 1)}
        assert parse("z^T", names=names) == Pow(Sym("z"), Sym("T"))
        assert parse("v^T", names=names) == Transpose(Sym("v"))
        assert to_plain(parse("z^T", names=names)) == "z^(T)"

    def test_greek_declared_names(self):
        assert parse("λ x", names={"λ": (), "x": ()}) == Mul(Sym("λ"), Sym("x"))
        assert parse("lambda", names={"λ": ()}) == Sym("λ")


class TestUndeclaredNames:
    """Without declarations any name is a variable, but unknown functions are refused."""

    def test_names_become_symbols(self):
        assert parse("xy") == Sym("xy")
        assert parse("f(x)") == Mul(Sym("f"), Sym("x"))

    def test_unknown_function(self):
        with pytest.raises(AnswerError, match="unknown function 'factorial'"):
            parse("factorial(3)")
        with pytest.raises(AnswerError, match="did you mean 'sigmoid'"):
            parse("sigmod(2)")


class TestPlainNumberFastPath:
    """Plain numbers skip the grammar; the tree must be exactly the grammar's."""

    @given(st.integers(min_value=-10**12, max_value=10**12), st.integers(min_value=0, max_value=10**6),
           st.integers(min_value=1, max_value=10**6), st.sampled_from(["", " ", "\t"]))
    def test_same_tree_as_the_grammar(self, whole, frac, denominator, pad):
        from grader.lang.errors import DEFAULT_LIMITS
        from grader.lang.parser import _plain_number
        import grader.lang.parser as parser_module
        for text in (f"{whole}", f"{whole}.{frac}", f"{pad}{whole}/{denominator}{pad}", f"{whole}.{frac} / {denominator}"):
            fast = _plain_number(text)
            assert fast is not None
            original = parser_module._plain_number
            parser_module._plain_number = lambda _text: None   # force the grammar
            try:
                slow = parser_module._parse(text, None, DEFAULT_LIMITS)
            finally:
                parser_module._plain_number = original
            assert fast == slow, text


class TestPlainLiteralFastPath:
    """Bracket literals of plain numbers skip the grammar; the tree must be the grammar's,
    and anything the fast path declines (ragged rows) still gets the grammar's message."""

    entries = st.builds(lambda sign, whole, frac, pad: f"{pad}{sign}{whole}{frac}{pad}",
                        st.sampled_from(["", "-"]), st.integers(0, 10 ** 6),
                        st.sampled_from(["", ".5", ".25", ".000"]), st.sampled_from(["", " ", "\t"]))

    @given(st.lists(st.lists(entries, min_size=1, max_size=4), min_size=1, max_size=4),
           st.sampled_from(["vector", "nested", "semicolons"]))
    def test_same_tree_or_same_error_as_the_grammar(self, rows, style):
        from grader.lang.errors import DEFAULT_LIMITS
        import grader.lang.parser as parser_module
        if style == "vector":
            text = "[" + ",".join(rows[0]) + "]"
        elif style == "nested":
            text = "[" + ", ".join("[" + ",".join(row) + "]" for row in rows) + "]"
        else:
            text = "[" + ";".join(",".join(row) for row in rows) + "]"
        fast = parser_module._plain_literal(text, DEFAULT_LIMITS)
        original = parser_module._plain_literal
        parser_module._plain_literal = lambda *_: None          # force the grammar
        try:
            slow = parser_module._parse(text, None, DEFAULT_LIMITS)
        except AnswerError as exc:
            slow = exc
        finally:
            parser_module._plain_literal = original
        if fast is None:
            assert isinstance(slow, AnswerError) and len({len(r) for r in rows}) > 1, text
        else:
            assert fast == slow, text
