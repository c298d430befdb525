"""The identity-keyed memo behind the parse, shape and sampling caches."""

from grader.lang.memo import IdentityMemo
from grader.lang.tree import Num, Sym


def test_keyed_by_identity_not_equality():
    memo = IdentityMemo(8)
    a, b = Sym("x"), Sym("x")              # equal, distinct objects
    memo.put(a, "for a")
    assert memo.get(a) == "for a"
    assert memo.get(b) is None


def test_extra_key_separates_entries_for_one_object():
    memo = IdentityMemo(8)
    node = Num(1)
    memo.put(node, "first", ("seed", 1))
    memo.put(node, "second", ("seed", 2))
    assert (memo.get(node, ("seed", 1)), memo.get(node, ("seed", 2)), memo.get(node)) == \
        ("first", "second", None)


def test_starts_over_when_full_and_clears():
    memo = IdentityMemo(2)
    nodes = [Sym(f"x{i}") for i in range(3)]
    for i, node in enumerate(nodes):
        memo.put(node, i)
    assert memo.get(nodes[0]) is None and memo.get(nodes[2]) == 2
    memo.clear()
    assert memo.get(nodes[2]) is None
