"""The CI-sized fuzz run (issue 21): a fixed budget of cases over the public API, each in a
worker subprocess; no CRASH, HANG, LEAK, RAW, MISMATCH (or fuzzer bug) outside known_bugs.py.

The long campaign is ``nox -s fuzz -- --cases N --seed S`` (tests/fuzz/campaign.py).
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fuzz_cases
import fuzz_runner
import known_bugs

CI_SEED = 2026
CI_CASES = int(os.environ.get("TENSORHOUSE_FUZZ_CI_CASES", "3000"))


def test_ci_budget_has_no_crash_hang_raw_or_mismatch():
    res = fuzz_runner.run_campaign(CI_CASES, seed=CI_SEED, workers=1, timeout=20.0)
    summary = fuzz_runner.format_summary(res, top=40)
    print(summary)
    assert sum(res.counts.values()) >= CI_CASES
    assert res.counts["OK"] > CI_CASES // 3, summary  # most calls must get past their checks
    new = [r for r in res.bad if known_bugs.bug_of(r["signature"]) is None]
    lines = [
        f"{r['signature']}\n    {r.get('desc', '')[:200]}\n    {r.get('detail', '')[:200]}\n    "
        + fuzz_runner.REPLAY.format(seed=CI_SEED, index=r["index"])
        for r in new[:30]
    ]
    assert not new, f"{len(new)} new bad cases:\n" + "\n".join(lines) + "\n\n" + summary


@pytest.mark.parametrize(
    ("kind", "cls"),
    [("crash", "CRASH"), ("hang", "HANG"), ("raw", "RAW"), ("mismatch", "MISMATCH"), ("ok", "OK")],
)
def test_the_pool_catches_and_counts_each_class(kind, cls):
    res = fuzz_runner.run_campaign(2, seed=1, only=f"selftest.{kind}", timeout=2.0)
    assert res.counts[cls] == 2, res.counts
    if cls != "OK":
        assert {r["cls"] for r in res.bad} == {cls}
        assert all(r["signature"].startswith(f"selftest.{kind}|{cls}|") for r in res.bad)


def test_the_pool_catches_a_worker_whose_memory_grows():
    res = fuzz_runner.run_campaign(6, seed=1, only="selftest.leak", timeout=20.0, rss_limit_mb=250)
    assert res.counts["LEAK"] >= 1, res.counts


def _case_text(seed, index):
    try:
        c = fuzz_cases.build_case(seed, index)
    except fuzz_cases.Skip as e:  # an API tensorhouse lacks
        return ("skip", str(e), None)
    return (c.entry, c.desc, c.expect_error)


def test_a_case_id_is_the_same_call_every_time():
    for index in range(0, 400, 7):
        assert _case_text(5, index) == _case_text(5, index)
    texts = {_case_text(5, i) for i in range(60)}
    assert len(texts) > 40  # and different ids are different calls


def test_the_table_covers_every_family():
    families = {fuzz_cases.ENTRIES[n][0] for n in fuzz_cases.NAMES}
    assert {"unary", "binary", "reduce", "array", "linalg", "nn", "random", "tape", "data",
            "keras", "loader", "function"} <= families  # fmt: skip
    assert len(fuzz_cases.NAMES) >= 150


def test_the_reference_check_sees_a_wrong_value():
    check = fuzz_cases.elementwise_check(lambda: fuzz_cases.np.array([1.0, 2.0]), "float32")
    assert check(fuzz_cases.tf.constant([1.0, 2.0])) is None
    assert "at 1" in check(fuzz_cases.tf.constant([1.0, 2.5]))
    assert "dtype" in check(fuzz_cases.tf.constant([1.0, 2.0], fuzz_cases.tf.float64))
