"""Writing output files safely: atomic replacement, private files, one writer per folder.

* ``atomic_write`` / ``atomic_open``: the text goes to a temporary file beside the target,
  is forced to disk, then renamed over it, so an interruption leaves either the old or
  the new file, never a torn one. ``private=True`` creates the temporary with mode 0600
  from the start (key.json and anything else holding reference answers), so there is no
  moment at which others can read it.
* ``OutputLock``: an exclusive ``flock`` on ``DIR/.lock``. The operating system drops it
  when the holder exits in any way (kill -9 included), so a crashed run never leaves a
  folder locked; a second run into the same folder is refused at once.
* ``os_error_message``: one line for an environment error (full disk, permissions, a file
  where a folder is expected...): the path, what happened, and what to do.
"""

from __future__ import annotations

import errno
import os
from contextlib import contextmanager
from pathlib import Path

try:                      # POSIX; elsewhere runs are not locked
    import fcntl
except ImportError:       # pragma: no cover
    fcntl = None

TMP_SUFFIX = ".tmp"
LOCK_NAME = ".lock"


@contextmanager
def atomic_open(path: Path, *, private: bool = False, durable: bool | None = None):
    """A text handle to a temporary beside ``path``; on success it replaces ``path``.

    ``durable`` (default: as ``private``) forces the bytes to disk before the rename, so
    even a power cut leaves the old or the new file; per-student reports skip it for speed."""
    path = Path(path)
    tmp = path.with_name(path.name + TMP_SUFFIX)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o666)
    if private:
        os.fchmod(fd, 0o600)          # an older temporary may have had another mode
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
            fh.flush()
            if private if durable is None else durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        name_path(exc, path)
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


def name_path(exc: BaseException, path) -> None:
    """A write that failed on an open handle (ENOSPC on flush) carries no file name: add it,
    so the one-line message can say which file could not be written."""
    if isinstance(exc, OSError) and exc.filename is None:
        exc.filename = str(path)


def atomic_write(path: Path, text: str, *, private: bool = False, durable: bool | None = None) -> None:
    with atomic_open(path, private=private, durable=durable) as fh:
        fh.write(text)


class BusyError(Exception):
    """Another process holds the folder's lock."""


class OutputLock:
    """``with OutputLock(out):`` -- at most one writer per output folder at a time."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / LOCK_NAME
        self.fd: int | None = None

    def __enter__(self):
        if fcntl is None:         # pragma: no cover
            return self
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self.fd)
            self.fd = None
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise BusyError(str(self.path.parent)) from None
            raise
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)     # closing releases the lock; the empty file stays (see docstring)
            self.fd = None


ADVICE = {
    errno.ENOSPC: "the disk is full: free some space, then run again",
    errno.EDQUOT: "the disk quota is exhausted: free some space, then run again",
    errno.EACCES: "permission denied: check the permissions of this path or choose another",
    errno.EPERM: "operation not permitted: check the permissions of this path or choose another",
    errno.EROFS: "the file system is read-only: choose a writable folder",
    errno.ENOTDIR: "a file is in the way where a folder is expected: move it or choose another path",
    errno.EEXIST: "a file is in the way: move it or choose another path",
    errno.EISDIR: "a folder is where a file is expected: move it or choose another path",
    errno.ENOENT: "no such file or folder: check the path",
    errno.ELOOP: "too many symbolic links: check the path",
    errno.ENAMETOOLONG: "the path is too long",
    errno.EFBIG: "a file size limit was reached (ulimit -f): raise it or free space, then run again",
}


def os_error_message(exc: OSError) -> str:
    """``<path>: <what happened> (<what to do>)`` for any OSError."""
    where = exc.filename if exc.filename is not None else "<output>"
    if getattr(exc, "filename2", None):
        where = f"{where} -> {exc.filename2}"
    what = exc.strerror or str(exc)
    advice = ADVICE.get(exc.errno, "check the path and run again")
    return f"{where}: {what}; {advice}"
