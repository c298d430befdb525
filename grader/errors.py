"""Errors, split by audience.

* ``AuthorError``: a problem, set or roster file is wrong. Names file, line, field,
  what was expected and what was found. Commands exit 1 on it.
* ``SubmissionError``: a whole answer file cannot be used (bad YAML, too large, wrong
  set). It becomes an ``invalid`` row; the batch goes on.
* Student mistakes inside one answer are ``grader.lang.AnswerError`` and end as an
  ``invalid`` verdict for that part, never as an exception that escapes.
* Anything else is a grader bug and is allowed to surface as such.
"""

from __future__ import annotations


class AuthorError(Exception):
    """A problem-bank, set or roster file is invalid."""

    def __init__(self, file, message, *, line=None, field=None, expected=None, got=None):
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.expected = expected
        self.got = got
        self.detail = message
        super().__init__(self.render())

    def render(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: "
        if self.field:
            text += f"field '{self.field}': "
        text += self.detail
        if self.expected is not None:
            text += f" (expected {self.expected}"
            text += f", got {self.got!r})" if self.got is not None else ")"
        return text


class SubmissionError(Exception):
    """A submitted answer file cannot be read as a whole."""

    def __init__(self, file, message):
        self.file = str(file)
        self.detail = message
        super().__init__(f"{self.file}: {message}")


class InputError(Exception):
    """An input or the environment is unusable as a whole (exit code 1); the message is
    one line naming the path and what to do (a busy output folder, a weak secret...)."""


class UsageError(Exception):
    """The command line is wrong (exit code 2)."""
