"""``LoopThreadPool``: runs sync calls on worker threads and answers with asyncio futures.

What ``loop.run_in_executor(ThreadPoolExecutor)`` does for the worker's sync functions,
with two hops fewer per call. There, every call gets a ``concurrent.futures.Future``
chained to an asyncio future, and every completion is its own ``call_soon_threadsafe``
(a write to the loop's self-pipe, a loop wake-up). Here a worker resolves the loop's own
future: completions go into one outbox per loop, and only the first completion the loop
has not yet collected schedules a delivery; the others ride along with it. Under load that
is one wake-up for a batch of calls instead of one each.

Kept as in ``ThreadPoolExecutor``: at most ``max_workers`` threads, started one at a time
when a call finds no idle thread (so ``max_workers`` sync calls overlap and no more),
named ``<prefix>_<n>``; calls queued in submission order; the threads are not daemons, so
the interpreter waits at exit for a call still running (an exit deadline bounds that);
``shutdown`` cancels what has not started. Not kept: the call is not cancelled once it
runs (a thread cannot be stopped), and, as with ``run_in_executor``, the caller's context
variables are not copied into the thread.

The price, measured under steady load (wrk, 16 connections, hello world): a worker that
finds another call queued runs it at once, holding the GIL, where the executor's path
released it for its self-pipe write after every call; so now and then the loop waits for
the interpreter's switch interval (5 ms), and the 99th percentile latency rises (about
11 ms against 7) while throughput rises by a fifth. Yielding the GIL after each call while
the loop has outcomes to collect brought that percentile to 5 ms, but throughput back to
the executor's, and below it with all four extensions, so the pool does not.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import queue
import threading
from typing import Any, Callable, Deque, List, Optional, Tuple, TypeVar

__all__ = ["LoopThreadPool"]

T = TypeVar("T")
# How often an idle worker checks that the interpreter is not ending without a shutdown
# (the main thread has finished): then it leaves, so that exit does not wait on it.
_IDLE_CHECK_SECONDS = 0.25


class _Outbox:
    """Completed calls waiting for one loop to collect them."""

    __slots__ = ("delivery_scheduled", "done", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.done: Deque[Tuple[asyncio.Future[Any], Optional[BaseException], Any]] = (
            collections.deque()
        )
        self.delivery_scheduled = False

    def put(self, future: asyncio.Future[Any], error: Optional[BaseException], value: Any) -> None:
        """From a worker thread: queue the outcome; wake the loop unless a delivery it has
        not run yet will collect this one too."""
        self.done.append((future, error, value))
        if not self.delivery_scheduled:
            self.delivery_scheduled = True
            # A closed loop: nobody waits for the outcome any more.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.deliver)

    def deliver(self) -> None:
        """On the loop: resolve every collected future. The flag is cleared first, so an
        outcome queued while this runs either is taken here or schedules a new delivery."""
        self.delivery_scheduled = False
        done = self.done
        while done:
            future, error, value = done.popleft()
            if future.cancelled():  # timed out, or the pool was shut down
                continue
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)


_Job = Tuple[asyncio.Future[Any], Callable[[], Any], _Outbox]


class LoopThreadPool:
    """Runs sync calls on up to ``max_workers`` threads; ``run`` answers with a future of
    the calling loop. Call ``run`` and ``shutdown`` on the loop's thread."""

    def __init__(self, max_workers: int, *, thread_name_prefix: str = "pool") -> None:
        if max_workers <= 0:
            raise ValueError(f"max_workers must be greater than 0, got {max_workers}")
        self.max_workers = max_workers
        self.thread_name_prefix = thread_name_prefix
        self._jobs: queue.SimpleQueue[Optional[_Job]] = queue.SimpleQueue()
        # One token per call a worker finished and so, as far as submitters know, one idle
        # worker (ThreadPoolExecutor's idle count). Workers append, ``run`` pops.
        self._idle: List[None] = []
        self._threads: List[threading.Thread] = []
        self._outbox: Optional[_Outbox] = None  # the last calling loop's
        self._shut_down = False

    def run(self, call: Callable[[], T]) -> asyncio.Future[T]:
        """Start ``call()`` on a worker thread; the future has its result or exception.
        Cancelling the future before the call starts means it never runs; after, its
        outcome is dropped."""
        if self._shut_down:
            raise RuntimeError("cannot run new calls after the pool was shut down")
        loop = asyncio.get_running_loop()
        outbox = self._outbox
        if outbox is None or outbox.loop is not loop:
            outbox = self._outbox = _Outbox(loop)
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((future, call, outbox))
        try:
            self._idle.pop()
        except IndexError:  # no worker known to be idle
            if len(self._threads) < self.max_workers:
                self._start_worker()
        return future

    def shutdown(self, *, cancel_pending: bool = True) -> None:
        """Refuse new calls and let the threads end once idle; with ``cancel_pending`` the
        calls not started yet are cancelled. Does not wait for running calls."""
        self._shut_down = True
        if cancel_pending:
            while True:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is not None:
                    _cancel(job[0])
        self._jobs.put(None)  # each worker passes it on to the next and ends

    def _start_worker(self) -> None:
        name = f"{self.thread_name_prefix}_{len(self._threads)}"
        thread = threading.Thread(target=self._work, name=name)
        thread.start()
        self._threads.append(thread)

    def _work(self) -> None:
        jobs = self._jobs
        idle = self._idle
        main = threading.main_thread()
        while True:
            try:
                job = jobs.get(timeout=_IDLE_CHECK_SECONDS)
            except queue.Empty:
                if not main.is_alive():  # the interpreter is ending without a shutdown
                    return
                continue
            if job is None:
                jobs.put(None)
                return
            future, call, outbox = job
            if not future.cancelled():  # by a timeout or shutdown before it started
                error, value = _outcome(call)
                outbox.put(future, error, value)
                del error, value
            # Drop the frame's references to this call's objects before the next wait.
            del job, future, call, outbox
            idle.append(None)


def _outcome(call: Callable[[], Any]) -> Tuple[Optional[BaseException], Any]:
    """``call()``'s exception (with its traceback) or value."""
    try:
        return None, call()
    except StopIteration as exc:  # an asyncio future refuses StopIteration
        refused = RuntimeError(f"the function raised StopIteration: {exc!r}")
        refused.__cause__ = exc
        return refused, None
    except BaseException as exc:  # handed to the waiting caller
        return exc, None


def _cancel(future: asyncio.Future[Any]) -> None:
    """Cancel ``future`` from any thread (on its own loop's thread when called elsewhere)."""
    loop = future.get_loop()
    try:
        running: Optional[asyncio.AbstractEventLoop] = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        future.cancel()
        return
    with contextlib.suppress(RuntimeError):  # its loop is closed
        loop.call_soon_threadsafe(future.cancel)
