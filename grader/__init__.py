"""ml-hand-grader: randomized hand-calculation exercises for ML courses, graded safely.

The pipeline reads as steps, one package each:
``bank`` (load and validate problems and sets) -> ``bank.params`` (draw a variant) ->
``render`` (sheets, answer templates, key) -> ``lang`` (parse what a student wrote) ->
``answer_types`` (compare with the reference) -> ``grading`` (verdicts, batches, reports).
"""

__version__ = "0.1.0"
