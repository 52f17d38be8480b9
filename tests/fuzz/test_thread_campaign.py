"""The CI-sized thread campaign (issue 21): every scenario of thread_campaign.py, 8 threads."""

import os
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import thread_campaign as tc

THREADS = 8
ITERS = int(os.environ.get("TENSORHOUSE_THREAD_CI_ITERS", "150"))


@pytest.mark.parametrize("name", sorted(tc.SCENARIOS))
def test_scenario_loses_and_repeats_nothing(name):
    assert tc.run(THREADS, ITERS, 1, only=name, out=lambda line: None) == {}


def test_the_checks_see_a_lost_update():
    # an unlocked read-modify-write (assign of a value read before) loses updates in TF too
    v = tc.tf.Variable(0.0)

    def racy(t, i):
        x = v.read_value()
        time.sleep(0.0002)  # another thread runs here
        v.assign(x + 1.0)

    tc.hammer(racy, 4, 20)
    with pytest.raises(AssertionError, match="got"):
        tc.expect_equal("racy", v.numpy(), 80.0)


def test_the_checks_see_a_lost_or_repeated_element():
    with pytest.raises(AssertionError, match="1 repeated, 1 lost"):
        tc._each_once("x", [0, 1, 1, 3], range(4))


def test_hammer_releases_the_threads_together_and_reraises():
    seen = set()

    def fn(t, i):
        seen.add(threading.get_ident())
        if t == 3 and i == 5:
            raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        tc.hammer(fn, 4, 10)
    assert len(seen) == 4


def test_the_campaign_runs_from_the_command_line(capsys):
    assert tc.main(["--threads", "3", "--iters", "5", "--rounds", "1", "--only", "dataset."]) == 0
    out = capsys.readouterr().out
    assert "dataset.next.range" in out and "0 scenarios failed" in out
