"""The LaTeX subset students type between dollars."""

import pytest

from grader.lang import AnswerError, parse, to_plain

NAMES = {"x": (), "y": (), "t": (), "lambda": (), "w_1": (), "A": (3, 3), "B": (3, 3)}
VECTOR_NAMES = {"x": (3, 1), "A": (3, 3)}


@pytest.mark.parametrize("text, expected", [
    (r"$\frac{1}{2}(A + A^\top)$", "1/2*(A + A^T)"),
    (r"$\frac12$", "1/2"),
    (r"$\dfrac{x}{1+x}$", "x/(1 + x)"),
    (r"$\frac{1}{1 + e^{-t}}$", "1/(1 + e^(-t))"),
    (r"$x \cdot y$", "x*y"), (r"$x \times y$", "x*y"), (r"$2\,x$", "2*x"),
    (r"$x^{2}$", "x^2"), (r"$x^12$", "x^1*2"), (r"$e^{-x}$", "e^(-x)"),
    (r"$\sqrt{x}$", "sqrt(x)"), (r"$\sqrt[3]{x}$", "x^(1/3)"), (r"$\sqrt x$", "sqrt(x)"),
    (r"$\exp(x)$", "exp(x)"), (r"$\exp\left(x\right)$", "exp(x)"), (r"$\ln x$", "log(x)"),
    (r"$\log(x)$", "log(x)"), (r"$\tanh x$", "tanh(x)"), (r"$\max(0, x)$", "max(0, x)"),
    (r"$\sigma(t)(1-\sigma(t))$", "sigmoid(t)*(1 - sigmoid(t))"),
    (r"$A^\top$", "A^T"), (r"$A^{\top}$", "A^T"), (r"$A^T$", "A^T"), (r"$A^{T}$", "A^T"),
    (r"$A^\intercal$", "A^T"), (r"$A^{\mathsf{T}}$", "A^T"), (r"$A^{\mathrm{T}}$", "A^T"),
    (r"$A^{-1}$", "A^(-1)"), (r"$\left(A + B\right)^{-1}$", "(A + B)^(-1)"),
    (r"$\left[ x + 1 \right]^2$", "(x + 1)^2"), (r"$\bigl(x\bigr)$", "x"),
    (r"$\operatorname{tr}(A)$", "tr(A)"), (r"$\mathrm{tr}(A B)$", "tr(A*B)"),
    (r"$\text{tr}(A)$", "tr(A)"), (r"$\det A$", "det(A)"),
    (r"$\lambda x$", "lambda*x"), (r"$\pi$", "pi"), (r"$w_{1} + w_1$", "w_1 + w_1"),
    (r"$\left| x \right|$", "abs(x)"), (r"$|x| + 1$", "abs(x) + 1"), (r"$\lvert x\rvert$", "abs(x)"),
    (r"$\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}$", "[[1, 2], [3, 4]]"),
    (r"$\begin{pmatrix} 1 \\ 2 \end{pmatrix}$", "[[1], [2]]"),
    (r"$\begin{pmatrix} 1 & \frac{1}{2} \\ x & 0 \\ \end{pmatrix}$", "[[1, 1/2], [x, 0]]"),
    (r"$\begin{vmatrix} 1 & 2 \\ 3 & 4 \end{vmatrix}$", "det([[1, 2], [3, 4]])"),
    (r"$$x + 1$$", "x + 1"), (r"\(x + 1\)", "x + 1"), (r"\frac{1}{2}", "1/2"),
    (r"  $x$  ", "x"), (r"$\displaystyle \frac{x}{2}$", "x/2"),
])
def test_latex_reads_as(text, expected):
    """Each LaTeX input is read as the canonical plain form."""
    assert to_plain(parse(text, names=NAMES)) == expected


def test_bold_vectors():
    """\\mathbf{x} is just the name x (here a declared column vector)."""
    assert to_plain(parse(r"$\mathbf{x}^\top A \mathbf{x}$", names=VECTOR_NAMES)) == "x^T*A*x"


def test_subscript_binds_to_the_last_letter():
    """In LaTeX `xy_1` is x times y_1."""
    assert to_plain(parse(r"$xw_1$", names={"x": (), "w_1": ()})) == "x*w_1"


@pytest.mark.parametrize("text, fragment", [
    (r"$\int x$", r"'\int' is not supported"), (r"$\frac{1}$", "needs an argument"),
    (r"$\begin{cases} x \end{cases}$", "environment 'cases' is not supported"),
    (r"$x & y$", "only allowed inside a matrix"), (r"${x$", "never closed"),
    (r"$x}$", "unmatched '}'"), (r"$x_{i+1}$", "subscripts"), (r"$_1$", "must follow a letter"),
    (r"$\begin{bmatrix} 1 & 2 \end{pmatrix}$", "does not match"),
    (r"$\begin{bmatrix} 1 & 2$", "no matching"), (r"$\left< x \right>$", "unsupported delimiter"),
    (r"$x$ + $y$", "unexpected '$'"), (r"$\input{/etc/passwd}$", "not supported"),
])
def test_latex_errors(text, fragment):
    """Unsupported or broken LaTeX raises AnswerError naming the problem."""
    with pytest.raises(AnswerError) as caught:
        parse(text, names=NAMES)
    assert fragment in caught.value.message


def test_latex_error_position_points_into_the_original():
    """The position of a LaTeX error counts characters of the text as typed."""
    with pytest.raises(AnswerError) as caught:
        parse(r"$x + \int$", names=NAMES)
    assert caught.value.position == 5
