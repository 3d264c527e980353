"""Garbage-collector settings for a long run (measured in benchmarks/throughput.py).

A run allocates millions of short-lived objects (token lists, rows, hits) that reference counting
frees at once; Python's cycle collector still scans the young ones every 700 allocations and, now and
then, every object alive — the spaCy pipeline, the vocab, the compiled patterns — which cost about a
tenth of a run.  During a run: objects alive after start-up are frozen (never scanned again), the
young generation is scanned every :data:`THRESHOLD` allocations, and one young collection runs after
each file so cycles (there are few: the Docs' caches are cleared per session) never pile up.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLD = (50_000, 50, 100)


@contextmanager
def tuned_gc() -> Iterator[None]:
    """Freeze what start-up built and scan the young generation less often, until the block ends."""
    old = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def after_file() -> None:
    """The collection per file: young and middle generations only (cheap; the old one is frozen or small)."""
    gc.collect(1)
