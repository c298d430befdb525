"""Shape inference: results, the size of I, and messages naming both shapes."""

import pytest
from hypothesis import given, settings

from grader.lang import AnswerError, parse, shape_of, shapes
from grader.lang.shapes import with_sizes
from grader.lang.tree import Identity, subtrees

from lang_strategies import NAMES as TREE_NAMES, trees

NAMES = {"A": (3, 3), "B": (3, 3), "x": (3, 1), "y": (5, 1), "X": (5, 3), "t": (),
         "lambda": ()}


@pytest.mark.parametrize("text, shape", [
    ("t", ()), ("2t + 1", ()), ("A", (3, 3)), ("A x", (3, 1)), ("x^T", (1, 3)),
    ("x^T A x", (1, 1)), ("x x^T", (3, 3)), ("X^T X", (3, 3)), ("X^T y", (3, 1)),
    ("(X^T X + lambda I)^{-1} X^T y", (3, 1)), ("A + I", (3, 3)), ("2 I + A", (3, 3)),
    ("I x", (3, 1)), ("x^T I x", (1, 1)), ("A .* I", (3, 3)), ("inv(A) B", (3, 3)),
    ("det(A)", ()), ("tr(A B)", ()), ("log(det(A))", ()), ("A^2", (3, 3)), ("A^{-1}", (3, 3)),
    ("x^T A x + 1", (1, 1)), ("(x^T A x) x", (3, 1)), ("x / (x^T x)", (3, 1)),
    ("log(x^T A x)", (1, 1)), ("t A", (3, 3)), ("A t", (3, 3)), ("A / t", (3, 3)),
    ("sigmoid(X A x)", (5, 1)), ("max(0, X x)", (5, 1)), ("[1, 2, 3]", (3, 1)),
    ("[[1, 2, 3]]", (1, 3)), ("[[1, t], [t, 1]]", (2, 2)), ("x^T x x", (3, 1)),
    ("1 - sigmoid(X x)", (5, 1)), ("x^T + 2", (1, 3)),
])
def test_shape(text, shape):
    """The shape of a well-formed expression."""
    assert shape_of(parse(text, names=NAMES), NAMES) == shape


@pytest.mark.parametrize("text, message", [
    ("x x", "cannot multiply (3×1) by (3×1): inner sizes 1 and 3 differ"),
    ("x A", "cannot multiply (3×1) by (3×3): inner sizes 1 and 3 differ"),
    ("A + x", "cannot add (3×3) and (3×1): the shapes differ"),
    ("A - x^T", "cannot subtract (3×3) and (1×3): the shapes differ"),
    ("A + 1", "cannot add a scalar and a (3×3) matrix; for a multiple of the identity write c*I"),
    ("x / x", "cannot divide by a (3×1) matrix; multiply by inv(...) instead"),
    ("X^2", "cannot raise to a power a (5×3) matrix: it is not square"),
    ("det(X)", "cannot take det of a (5×3) matrix: it is not square"),
    ("inv(x)", "cannot take inv of a (3×1) matrix: it is not square"),
    ("A^t", "a matrix can only be raised to a constant integer power"),
    ("A^0.5", "a matrix can only be raised to a constant integer power"),
    ("t^x", "an exponent must be a scalar, got a (3×1) matrix"),
    ("A .* x", "an element-wise product needs equal shapes, got (3×3) and (3×1)"),
    ("max(A, x)", "max needs equal shapes, got (3×3) and (3×1)"),
    ("[x, 1]", "entry 1 of a bracket literal is a (3×1) matrix; entries must be scalars"),
    ("I", "cannot tell the size of I here"), ("2 I + 1", "cannot add a scalar"),
    ("x x^T - 1", "cannot subtract a scalar and a (3×3) matrix"),
    ("X + I", "cannot add (5×3) and (n×n)"),
])
def test_shape_errors(text, message):
    """Shape errors name what was expected and what was given."""
    with pytest.raises(AnswerError) as caught:
        shape_of(parse(text, names=NAMES), NAMES)
    assert caught.value.message.startswith(message)


def test_unknown_name():
    with pytest.raises(AnswerError, match="unknown name 'q'"):
        shape_of(parse("q"), NAMES)


def test_identity_sizes_follow_their_context():
    """Each I gets the size its neighbours force, independently of the others."""
    names = {"A": (2, 2), "X": (5, 3)}
    node, shape = with_sizes(parse("X (I + X^T X) + 0 X I", names=names), names)
    sizes = [current.size for current in subtrees(node) if isinstance(current, Identity)]
    assert shape == (5, 3) and sorted(sizes) == [3, 3]


def test_bad_declared_shape_is_an_author_error():
    with pytest.raises(ValueError):
        shape_of(parse("q"), {"q": (3,)})


def test_expected_shape_sizes_a_lone_identity():
    """An answer of just I (or c*I) takes its size from the expected shape."""
    assert shape_of(parse("2 I"), {}, expected=(4, 4)) == (4, 4)
    assert shape_of(parse("A + I", names=NAMES), NAMES, expected=(2, 2)) == (3, 3)


def test_one_tree_sized_against_other_declarations_and_expectations():
    """Results are remembered per tree, but never across declarations or expected shapes."""
    node = parse("c I")
    assert shape_of(node, {"c": ()}, expected=(2, 2)) == (2, 2)
    assert shape_of(node, {"c": ()}, expected=(3, 3)) == (3, 3)
    assert shape_of(node, {"c": (1, 1)}, expected=(4, 4)) == (4, 4)
    with pytest.raises(AnswerError, match="unknown name 'c'"):
        shape_of(node, {}, expected=(2, 2))
    with pytest.raises(AnswerError, match="size of I"):
        shape_of(node, {"c": ()})


def test_names_are_read_only_and_survive_pickling():
    import pickle

    from grader.lang.tree import Names, names_key
    names = Names({"x": (), "A": (3, 3)})
    with pytest.raises(TypeError):
        names["y"] = ()
    with pytest.raises(TypeError):
        names.update({"y": ()})
    copy = pickle.loads(pickle.dumps(names))
    assert copy == names and copy.key == names.key == names_key({"A": [3, 3], "x": ()})
    assert shape_of(parse("A x", names=names), names) == shape_of(parse("A x", names=dict(names)), dict(names))


# -- the shortcut for formulas in scalars, and what `expected` may change -------------


def _inferred(node, names):
    """Full inference, without the shortcut: the shape, or the error message."""
    inference = shapes._Inference(names)
    try:
        return inference.final(inference.shape(node))
    except AnswerError as exc:
        return exc.message


@settings(max_examples=400)
@given(trees(max_leaves=10))
def test_scalar_shortcut_agrees_with_inference(tree):
    """Whenever the plain walk vouches for a tree, full inference finds a scalar and no
    error: over scalar names only, and over names that include matrices."""
    for names in ({n: s for n, s in TREE_NAMES.items() if s == ()}, TREE_NAMES):
        if shapes._scalar_formula(tree, names):
            assert _inferred(tree, names) == ()


def test_scalar_shortcut_declines_arrays_identities_and_unknown_names():
    names = {"x": (), "A": (3, 3)}
    for text in ("A", "x + I", "[x, 1]", "x^T A x"):
        assert not shapes._scalar_formula(parse(text, names=names), names)
    assert not shapes._scalar_formula(parse("y", names={"y": ()}), names)   # not declared here
    assert shapes._scalar_formula(parse("exp(-x)^2 / (1 + x)'", names=names), names)


def test_expected_shape_only_sizes_an_identity():
    """A tree without I gets one answer for every expected shape (it is kept once); a
    lone I takes its size from the expected shape."""
    shapes.clear_cache()
    names = {"A": (3, 3), "x": (3, 1)}
    node = parse("A x", names=names)
    assert with_sizes(node, names, expected=(3, 1)) is with_sizes(node, names)
    lone = parse("2 I", names=names)
    assert with_sizes(lone, names, expected=(2, 2))[1] == (2, 2)
    assert with_sizes(lone, names, expected=(4, 4))[1] == (4, 4)
