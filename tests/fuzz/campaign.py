"""The long fuzz campaign: ``nox -s fuzz -- --cases N --seed S`` (or run this file directly).

``--replay SEED:INDEX`` runs one case in this process and prints the call and its result.
``--threads N`` runs the thread campaign instead (thread_campaign.py: N threads, ``--cases``
calls each, ``--rounds`` runs of every scenario).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fuzz_runner
import known_bugs


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--cases", type=int, default=10_000, help="how many cases (default 10,000)")
    p.add_argument("--seed", type=int, default=0, help="the campaign's seed (default 0)")
    p.add_argument("--start", type=int, default=0, help="the first case index (default 0)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per case (default 10)")
    p.add_argument("--only", default=None, help="only the entries whose name starts with this")
    p.add_argument("--nice", type=int, default=10, help="the workers' niceness (default 10)")
    p.add_argument("--top", type=int, default=25, help="signatures in the summary (default 25)")
    p.add_argument("--json", default=None, help="write every bad case to this JSON file")
    p.add_argument("--replay", default=None, metavar="SEED:INDEX", help="run one case here")
    p.add_argument("--threads", type=int, default=None, help="the thread campaign, N threads")
    p.add_argument("--rounds", type=int, default=3, help="thread campaign: runs per scenario")
    args = p.parse_args(argv)
    if args.threads:
        import thread_campaign

        only = ["--only", args.only] if args.only else []
        return thread_campaign.main(["--threads", str(args.threads), "--iters", str(args.cases),
                                     "--rounds", str(args.rounds), *only])  # fmt: skip
    if args.replay:
        seed, index = (int(v) for v in args.replay.split(":"))
        fuzz_runner.replay(seed, index, args.only)
        return 0
    os.nice(args.nice)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a killed campaign summarizes

    def progress(res, elapsed):
        n = sum(res.counts.values())
        bad = sum(res.counts[c] for c in fuzz_runner.BAD)
        print(f"  {n} cases, {n / elapsed:.0f}/s, {bad} bad", flush=True)

    res = fuzz_runner.run_campaign(args.cases, args.seed, args.start, args.workers, args.timeout,
                                   args.only, args.nice, progress=progress)  # fmt: skip
    print(fuzz_runner.format_summary(res, args.top))
    unknown = [r for r in res.bad if known_bugs.bug_of(r["signature"]) is None]
    known = len(res.bad) - len(unknown)
    print(f"  {known} bad cases match a known bug (tests/fuzz/known_bugs.py), {len(unknown)} new")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"seed": args.seed, "counts": dict(res.counts), "bad": res.bad}, fh, indent=1)
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main())
