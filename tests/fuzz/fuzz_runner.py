"""The fuzzer's worker pool: each case runs in a long-lived worker subprocess (issue 21).

The parent sends case indices; a worker runs ``fuzz_cases.build_case(seed, index)`` and answers
with a JSON line: OK, ERR (TF's error class), RAW (another exception class escaping the API),
MISMATCH (a value that differs from NumPy's, or a call that returned where TF raises), SKIP (an
API tensorhouse lacks) or HARNESS (a bug of the fuzzer itself). The parent adds CRASH (the worker
died), HANG (a case ran past its timeout) and LEAK (the worker's memory grew past a limit), and
restarts the worker after each.
"""

from __future__ import annotations

import json
import os
import re
import resource
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
BAD = ("CRASH", "HANG", "LEAK", "RAW", "MISMATCH", "HARNESS")
CLASSES = ("OK", "ERR", "SKIP", *BAD)
REPLAY = "python tests/fuzz/campaign.py --replay {seed}:{index}"


# ---- inside a worker ------------------------------------------------------------------------


def _norm(msg: str, n: int = 60) -> str:
    """A message with numbers and quoted names blanked, so that one bug has one signature."""
    msg = re.sub(r"'[^']*'|\"[^\"]*\"", "'_'", msg.splitlines()[0] if msg else "")
    msg = re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "N", msg)
    return msg[:n]


def _innermost_file(exc: BaseException) -> str:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return last or ""


def classify_exception(exc: BaseException, case) -> tuple[str, str]:
    """(class, signature part) of an exception that escaped a case's call."""
    from fuzz_cases import tf

    where = _innermost_file(exc)
    kind = type(exc).__name__
    if where.endswith("fuzz_cases.py") and not isinstance(exc, tf.errors.OpError):
        return "HARNESS", f"{kind}: {_norm(str(exc))} @fuzz_cases"
    if case.error_classes:
        if isinstance(exc, case.error_classes):
            return "ERR", kind
        return "RAW", f"{kind} (want {'/'.join(c.__name__ for c in case.error_classes)}): " + _norm(
            str(exc)
        )
    if isinstance(exc, tf.errors.OpError):
        return "ERR", kind
    if isinstance(exc, (TypeError, ValueError, NotImplementedError)):
        if f"{os.sep}numpy{os.sep}" in where:
            return "RAW", f"{kind} from NumPy: {_norm(str(exc))}"
        return "ERR", kind
    return "RAW", f"{kind}: {_norm(str(exc))}"


def run_case(seed: int, index: int, only: str | None = None) -> dict:
    """Build and run case ``(seed, index)``; its class, entry, signature and description."""
    import fuzz_cases as fc

    res = {"index": index, "entry": "?", "cls": "OK", "sig": "", "desc": ""}
    try:
        case = fc.build_case(seed, index, only)
    except fc.Skip as e:
        res.update(cls="SKIP", sig=f"missing {e}")
        return res
    except Exception as e:
        res.update(cls="HARNESS", sig=f"build: {type(e).__name__}: {_norm(str(e))}")
        res["desc"] = traceback.format_exc(limit=-3)[-600:]
        return res
    res["entry"], res["desc"] = case.entry, case.desc[:400]
    try:
        out = case.thunk()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:
        cls, part = classify_exception(e, case)
        res.update(cls=cls, sig=part)
        if cls != "ERR":
            res["detail"] = f"{type(e).__name__}: {str(e)[:300]}"
        return res
    try:
        if case.expect_error:
            res.update(cls="MISMATCH", sig=f"returned where TF raises: {case.expect_error}")
            res["sig"] = _norm(res["sig"], 80)
            return res
        msg = case.check(out) if case.check else None
        if msg:
            res.update(cls="MISMATCH", sig=_norm(msg, 50), detail=msg[:300])
            return res
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:
        # judging the result failed: the API's fault where its code raised (a result whose
        # .numpy() fails), else the fuzzer's own (its NumPy reference)
        if _through_api(e):
            cls, part = classify_exception(e, case)
        else:
            cls, part = "HARNESS", f"check: {type(e).__name__}: {_norm(str(e))}"
        res.update(cls=cls, sig=part, detail=f"{type(e).__name__}: {str(e)[:300]}")
    return res


def _through_api(exc: BaseException) -> bool:
    """Whether the traceback passes through tensorhouse's own code."""
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if f"{os.sep}tensorhouse" in name or f"{os.sep}packages{os.sep}" in name:
            return True
        tb = tb.tb_next
    return False


def worker_main(seed: int, only: str | None, mem_limit_mb: int, nice: int = 0) -> None:
    """Serve case indices from stdin, one JSON line each on the protocol fd."""
    if nice:
        os.nice(nice)
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the API's prints must not reach the protocol
    if mem_limit_mb:
        lim = mem_limit_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    import warnings

    warnings.simplefilter("ignore")
    sys.path.insert(0, HERE)
    import fuzz_cases  # noqa: F401 - import before READY, so case timeouts exclude it

    proto.write("READY\n")
    for line in sys.stdin:
        index = int(line)
        res = run_case(seed, index, only)
        proto.write(json.dumps(res) + "\n")


# ---- the parent -----------------------------------------------------------------------------


class Worker:
    """One worker subprocess with at most one case in flight."""

    def __init__(self, seed, only, nice, mem_limit_mb):
        self.err = tempfile.TemporaryFile()
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", str(seed),
               only or "", str(mem_limit_mb), str(nice)]  # fmt: skip
        # no preexec_fn: it would run Python between fork and exec, where a parent that has
        # JAX loaded warns (and a threaded parent can deadlock); the worker lowers its own
        # priority, and start_new_session gives it its own session
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, start_new_session=True, text=True,
                                     bufsize=1)  # fmt: skip
        self.index = None
        self.started = 0.0
        self.done = 0
        ready = self.proc.stdout.readline()
        if ready.strip() != "READY":
            self.err.seek(0)
            raise RuntimeError(f"fuzz worker failed to start: {self.err.read()[-2000:]!r}")

    def send(self, index: int) -> None:
        self.index, self.started = index, time.monotonic()
        self.proc.stdin.write(f"{index}\n")
        self.proc.stdin.flush()

    def rss_mb(self) -> float:
        try:
            with open(f"/proc/{self.proc.pid}/statm") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        except OSError:
            return 0.0

    def stderr_tail(self) -> str:
        self.err.seek(0)
        return self.err.read()[-400:].decode("utf-8", "replace")

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.err):
            try:
                f.close()
            except OSError:  # a pipe to a dead worker
                pass


@dataclass
class Results:
    """Counts per class and per entry, and every non-OK case of the bad classes."""

    seed: int
    counts: Counter = field(default_factory=Counter)
    per_entry: dict = field(default_factory=lambda: defaultdict(Counter))
    bad: list = field(default_factory=list)  # result dicts of the BAD classes
    sigs: Counter = field(default_factory=Counter)
    skips: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    interrupted: bool = False

    def add(self, res: dict) -> None:
        cls = res["cls"]
        self.counts[cls] += 1
        self.per_entry[res["entry"]][cls] += 1
        if cls == "SKIP":
            self.skips[res["sig"]] += 1
        if cls in BAD:
            res["signature"] = f"{res['entry']}|{cls}|{res['sig']}"
            self.sigs[res["signature"]] += 1
            if self.sigs[res["signature"]] <= 3:
                self.bad.append(res)
            else:
                self.bad.append({k: res[k] for k in ("index", "cls", "signature", "entry")})


def run_campaign(cases, seed=0, start=0, workers=1, timeout=10.0, only=None, nice=10,
                 mem_limit_mb=6144, rss_limit_mb=2048, progress=None) -> Results:  # fmt: skip
    """Run cases ``start .. start+cases-1`` of ``seed`` over a pool of ``workers`` workers."""
    results = Results(seed)
    t0 = time.monotonic()
    todo = iter(range(start, start + cases))
    pool: list[Worker] = []
    sel = selectors.DefaultSelector()

    def spawn():
        w = Worker(seed, only, nice, mem_limit_mb)
        pool.append(w)
        sel.register(w.proc.stdout, selectors.EVENT_READ, w)
        return w

    def feed(w):
        idx = next(todo, None)
        if idx is not None:
            w.send(idx)
        else:
            w.index = None

    def replace(w, res):
        sel.unregister(w.proc.stdout)
        pool.remove(w)
        w.kill()
        results.add(res)
        feed(spawn())

    try:
        for _ in range(max(1, workers)):
            feed(spawn())
        while any(w.index is not None for w in pool) and not results.interrupted:
            for key, _ in sel.select(timeout=0.2):
                w = key.data
                if w.index is None:
                    continue
                line = w.proc.stdout.readline()
                if not line:  # the worker died mid-case
                    w.proc.wait()
                    code = w.proc.returncode
                    sig = f"exit {code}" if code >= 0 else f"signal {signal.Signals(-code).name}"
                    replace(w, {"index": w.index, "entry": _entry_of(seed, w.index, only),
                                "cls": "CRASH", "sig": sig, "detail": w.stderr_tail()})  # fmt: skip
                    continue
                res = json.loads(line)
                results.add(res)
                w.done += 1
                if w.rss_mb() > rss_limit_mb:
                    replace(w, {"index": w.index, "entry": res["entry"], "cls": "LEAK",
                                "sig": f"worker RSS over {rss_limit_mb} MiB"})  # fmt: skip
                    continue
                feed(w)
                if progress and sum(results.counts.values()) % 1000 == 0:
                    progress(results, time.monotonic() - t0)
            now = time.monotonic()
            for w in list(pool):
                if w.index is not None and now - w.started > timeout:
                    replace(w, {"index": w.index, "entry": _entry_of(seed, w.index, only),
                                "cls": "HANG", "sig": f"over {timeout:g} s"})  # fmt: skip
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: stop, and summarize what ran
        results.interrupted = True
    finally:
        for w in pool:
            w.kill()
    results.elapsed = time.monotonic() - t0
    return results


def _entry_of(seed, index, only):
    """The entry name of a case, from the table alone (the worker could not say)."""
    sys.path.insert(0, HERE)
    import fuzz_cases as fc

    if only is None:
        return fc.pick_entry(seed, index)[0]
    names = fc.entries_matching(only)
    return names[index % len(names)]


def format_summary(res: Results, top: int = 25) -> str:
    """The summary table: counts per class, cases/s, the top signatures with a replay each."""
    total = sum(res.counts.values())
    rate = total / res.elapsed if res.elapsed else 0.0
    lines = [f"fuzz seed {res.seed}: {total} cases in {res.elapsed:.1f} s ({rate:.0f} cases/s)"]
    if res.interrupted:
        lines[0] += " (interrupted)"
    lines.append("  " + "  ".join(f"{c} {res.counts.get(c, 0)}" for c in CLASSES))
    if rate:
        lines.append(f"  projected time for 1,000,000 cases: {1e6 / rate / 3600:.2f} h per worker")
    if res.skips:
        lines.append(
            "  APIs tensorhouse lacks: "
            + ", ".join(f"{s} ({n})" for s, n in res.skips.most_common())
        )
    if res.sigs:
        lines.append(f"  top signatures of {', '.join(BAD)} (count, signature, replay):")
        first = {}
        for r in res.bad:
            first.setdefault(r["signature"], r)
        for sig, n in res.sigs.most_common(top):
            r = first[sig]
            lines.append(f"  {n:6d}  {sig}")
            if r.get("desc"):
                lines.append(f"          {r['desc'][:160]}")
            if r.get("detail"):
                lines.append(f"          -> {r['detail'][:160]}")
            lines.append("          " + REPLAY.format(seed=res.seed, index=r["index"]))
    return "\n".join(lines)


def replay(seed: int, index: int, only: str | None = None) -> dict:
    """Run one case in this process and print what it called and what came back."""
    import warnings

    warnings.simplefilter("ignore")
    sys.path.insert(0, HERE)
    import fuzz_cases as fc

    case = fc.build_case(seed, index, only)
    print(f"case {seed}:{index} entry {case.entry}\n  {case.desc}")
    if case.expect_error:
        print(f"  TF raises here: {case.expect_error}")
    try:
        out = case.thunk()
        print(f"  returned: {out!r}"[:2000])
    except Exception:
        traceback.print_exc()
    res = run_case(seed, index, only)
    print(f"  class {res['cls']}: {res['sig']} {res.get('detail', '')}")
    return res


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--worker":
    worker_main(int(sys.argv[2]), sys.argv[3] or None, int(sys.argv[4]),
                int(sys.argv[5]) if len(sys.argv) > 5 else 0)  # fmt: skip
