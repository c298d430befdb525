"""One sympy comparison in its own process (started by ``equivalence._sympy_check``).

Reads a pickled ``(ref, ans, specs)`` from stdin (trees made by our parser in the
parent), writes ``started`` once sympy is imported, then one JSON line with the
result. The parent kills this process when its budget runs out.
"""

import json
import pickle
import sys


def main() -> None:
    import sympy  # noqa: F401  imported before "started": the budget covers the work only

    from grader.lang.equivalence import sympy_equal

    ref, ans, specs = pickle.loads(sys.stdin.buffer.read())
    out = sys.stdout
    out.write("started\n")
    out.flush()
    try:
        result = {"equal": bool(sympy_equal(ref, ans, specs))}
    except Exception as exc:        # reported to the parent as an undecided check
        result = {"error": f"{type(exc).__name__}: {exc}"}
    out.write(json.dumps(result) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
