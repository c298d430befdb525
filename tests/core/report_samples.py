"""Summary dicts for report.html tests, written by hand in the shape SummaryBuilder.build gives.

``summary(full=True)`` fills every section of the page (wrong answers, misconceptions,
answers for review beyond those listed, unreadable files, duplicates, students not
enrolled); ``summary(full=False)`` leaves each of them empty, so its "nothing here"
sentence shows. Between them every word of the page is on one of the two pages.
"""

from __future__ import annotations

from types import SimpleNamespace

PSET = SimpleNamespace(id="toy-set", title={"en": "Toy set", "ru": "Игрушечный набор"})


def summary(full: bool = True) -> dict:
    part = {"problem": "toy-problem", "type": "numeric", "attempts": 4, "correct": 2,
            "correct_pct_of_attempts": 50.0, "correct_pct_of_class": 40.0,
            "mean_points": 1.25, "max_points": 2.5,
            "verdicts": {"correct": 2, "incorrect": 1, "partial": 1, "missing": 1},
            "common_wrong_answers": [{"answer": "3 < 4", "count": 2}] if full else [],
            "misconceptions": {"sign-flip": 1} if full else {}}
    return {
        "set": "toy-set", "submissions": 5, "class_size": 5, "max": 10.0,
        "status": {"ok": 3, "invalid": 1, "missing": 1},
        "mean_score": 5.5, "median_score": 5.0, "quartiles": [2.5, 7.5],
        "histogram": {"bin_width": 5.0, "bins": [{"from": 0.0, "to": 5.0, "count": 2},
                                                 {"from": 5.0, "to": 10.0, "count": 3}]},
        "parts": {"q1.a": part},
        "not_enrolled": 2 if full else 0, "duplicates": 3 if full else 0,
        "misconceptions": ([{"part": "q1.a", "misconception": "sign-flip", "count": 1,
                             "percent_of_attempts": 25.0}] if full else []),
        "review": ({"total": 3, "listed": [{"student": "s1", "part": "q1.a", "check": "sampling",
                                            "answer": "x^2"}]} if full else {"total": 0, "listed": []}),
        "unreadable_files": ([{"student": "s2", "source": "s2.yaml", "message": "the answer is empty"}]
                             if full else []),
    }


def toy_set():
    """A set of two problems in the shape reports read (no bank files): q1 is worth 6 points
    on a problem of 3 (parts a: 2 points, b: 1), q2 is worth 4 on a problem of 4 (part c)."""
    def part(pid, points, kind, bugs=()):
        return SimpleNamespace(id=pid, points=points, type=kind,
                               misconceptions=[SimpleNamespace(bug=b) for b in bugs])
    p1 = SimpleNamespace(id="p-one", title={"en": "First", "ru": "Первая"}, points=3.0,
                         parts=[part("a", 2.0, "number", ("sign-flip", "off-by-one")), part("b", 1.0, "vector")])
    p2 = SimpleNamespace(id="p-two", title={"en": "Second", "ru": "Вторая"}, points=4.0,
                         parts=[part("c", 4.0, "choice", ("guess",))])
    return SimpleNamespace(id="toy", title={"en": "Toy", "ru": "Игрушка"}, points=10.0,
                           entries=[SimpleNamespace(key="q1", points=6.0, problem=p1),
                                    SimpleNamespace(key="q2", points=4.0, problem=p2)])
