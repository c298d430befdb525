"""A pool of forked worker processes that survives the death of one of them.

``concurrent.futures`` marks the whole pool broken when one worker dies (killed, out of
memory): every future still pending fails with ``BrokenProcessPool``. ``WorkerPool``
lets its owner replace the broken executor (``renew``) and submit the lost work again;
what to re-run is the owner's decision (grading re-runs item by item, reporting re-renders
a chunk). Workers are forked, so they inherit what the parent loaded (the bank, solvers).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool


class WorkerPool:
    """``submit(chunk)`` runs ``task(chunk)`` in a worker set up by ``initializer(*init_args)``."""

    def __init__(self, workers: int, init_args: tuple, initializer, task):
        self.workers, self.init_args = workers, init_args
        self.initializer, self.task = initializer, task
        self.executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"),
                                   initializer=self.initializer, initargs=self.init_args)

    def submit(self, chunk):
        return self.executor.submit(self.task, chunk)

    def renew(self) -> None:
        self.close()
        self.executor = self._new()

    def close(self, finished: bool = False) -> None:
        if finished:   # every result is in: the idle workers exit on their own (exit handlers run)
            self.executor.shutdown(wait=True)
            return
        # Running chunks are not waited for: on Ctrl-C or a lost worker the pool is dropped now.
        processes = list((getattr(self.executor, "_processes", None) or {}).values())
        self.executor.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            if p.is_alive():
                p.terminate()
        for p in processes:
            p.join(timeout=5)


def submit_or_fail(pool: WorkerPool, chunk) -> Future:
    """The chunk's future; a pool that broke since the last submit refuses at once, and that
    refusal becomes the chunk's result, so it is recovered like the chunks in flight."""
    try:
        return pool.submit(chunk)
    except BrokenProcessPool as exc:
        future: Future = Future()
        future.set_exception(exc)
        return future
