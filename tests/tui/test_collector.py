"""Full garbage collections paced between key presses (the real collector, the real heap)."""

from __future__ import annotations

import gc
import time

from agenttui.tui.collector import CollectorPacer


def test_policy_waits_for_quiet_input_but_not_forever() -> None:
    pacer = CollectorPacer(quiet=0.12, longest=2.0)
    assert pacer.decide(10.0, due=False) is False  # nothing piled up: nothing to do
    pacer.input(now=10.0)
    assert pacer.decide(10.05, due=True) is False  # a key 50 ms ago: its answer may still be drawing
    assert pacer.decide(10.13, due=True) is True  # quiet for 130 ms: now
    for t in range(20):  # a held key: input every 100 ms keeps it waiting ...
        pacer.input(now=20.0 + t / 10)
        if pacer.decide(20.0 + t / 10 + 0.01, due=True):
            break
    assert 1.9 <= t / 10 <= 2.1  # ... but at most `longest`
    assert pacer.deferred >= 19


def test_start_takes_full_collections_over_and_stop_gives_them_back() -> None:
    before = gc.get_threshold()
    pacer = CollectorPacer(quiet=0.0)
    pacer.start()
    try:
        assert gc.get_threshold()[:2] == before[:2] and gc.get_threshold()[2] > 1_000_000
        assert gc.get_freeze_count() > 0  # the start-up heap is out of the full collections' way
        runs = 0
        while not pacer.due():  # churn young collections until a full one is due, as a flood does
            for _ in range(2000):
                a: list[object] = []
                a.append(a)
            runs += 1
            assert runs < 10_000
        assert gc.get_count()[2] >= 10  # Python did not run it by itself
        took = pacer.tick()
        assert took is not None and pacer.runs == 1
        assert gc.get_count()[2] == 0 and not pacer.due()
        # the time budget: however much piles up, the next one waits took / share
        assert pacer.not_before >= time.monotonic() + took / pacer.share - 1.0
        while gc.get_count()[2] < 10:
            for _ in range(2000):
                b: list[object] = []
                b.append(b)
        assert not pacer.due(now=pacer.not_before - 0.001) and pacer.due(now=pacer.not_before)
    finally:
        pacer.stop()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0 and gc.isenabled()


def test_start_turns_collections_on_that_the_process_started_without() -> None:
    """The real process has no collections from before Textual's import (cli._before_textual) until
    the pacer starts: start turns them on, stop puts them back as they were.  Control: a pacer
    started with them on leaves them on (above)."""
    gc.disable()
    pacer = CollectorPacer()
    try:
        pacer.start()
        assert gc.isenabled()
        pacer.stop()
        assert not gc.isenabled()
    finally:
        gc.enable()
