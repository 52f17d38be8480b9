"""Run TF guides cell by cell on TensorFlow and on tensorhouse, and compare the two.

Usage: ``python tools/guides_diff.py GUIDES_DIR --out REPORT_DIR`` (see docs/guides.md).

GUIDES_DIR holds one JSON file per guide: a list of cells, each a source string or a
``{"source": ..., "tags": [...]}`` object. Every guide runs in one fresh subprocess per library,
its cells in order, each under a timeout; a cell's result is ok / an exception / a timeout, and
what it printed (stdout, stderr without logs and tracebacks, and the repr of its last expression).
Only the standard library is used here: the same file is the runner inside both interpreters.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import hashlib
import io
import json
import linecache
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TF_PYTHON = "/tmp/tfv/bin/python"
TH_PYTHON = "/work/main/.venv/bin/python"
LIBS = ("tf", "th")


# ----------------------------------------------------------------------------- guides


def load_guide(path: Path) -> list[dict]:
    """The cells of one guide file, each as ``{"source": str, "tags": list}``."""
    raw = json.loads(Path(path).read_text())
    cells = []
    for item in raw:
        if isinstance(item, str):
            cells.append({"source": item, "tags": []})
        elif isinstance(item, dict) and isinstance(item.get("source"), str):
            cells.append({"source": item["source"], "tags": list(item.get("tags", []))})
        else:
            raise ValueError(
                f"{path}: a cell must be a string or a dict with 'source', got {item!r}"
            )
    return cells


def is_magic_cell(source: str) -> bool:
    """A shell or IPython magic cell (first non-blank line starts with ``!`` or ``%``)."""
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.lstrip()[:1] in ("!", "%")
    return False


def strip_magic_lines(source: str) -> str:
    """Comment out magic lines inside an otherwise Python cell."""
    lines = source.splitlines()
    return "\n".join(("# " + ln) if ln.lstrip()[:1] in ("!", "%") else ln for ln in lines)


# ----------------------------------------------------------------------------- runner side


class CellTimeout(BaseException):
    """Raised inside a cell that ran past its time limit (BaseException: cells cannot catch it)."""


class _AliasFinder:
    """Resolves ``tensorflow.a.b`` / ``keras.a.b`` imports to tensorhouse's modules."""

    def __init__(self, roots: dict):
        self.roots = roots

    def _resolve(self, fullname: str):
        head, _, rest = fullname.partition(".")
        obj = self.roots.get(head)
        for part in rest.split(".") if rest else []:
            obj = getattr(obj, part, None)
        return obj

    def find_spec(self, fullname, path=None, target=None):
        import importlib.machinery
        import types

        if fullname.partition(".")[0] not in self.roots:
            return None
        if not isinstance(self._resolve(fullname), types.ModuleType):
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        module = self._resolve(spec.name)
        self._spec = getattr(module, "__spec__", None)
        return module

    def exec_module(self, module):
        module.__spec__ = self._spec  # the import system overwrote it with the alias spec


def install_tensorhouse_shim():
    """Make ``import tensorflow`` / ``import keras`` (and their submodules) give tensorhouse."""
    import tensorhouse

    roots = {"tensorflow": tensorhouse, "keras": tensorhouse.keras}
    sys.modules["tensorflow"] = tensorhouse
    sys.modules["keras"] = tensorhouse.keras
    sys.meta_path.insert(0, _AliasFinder(roots))


_FD_STREAMS: dict = {}


def _fd_stream(fd: int):
    """A text stream writing straight to ``fd``, made once and never closed: a logging handler
    made during a cell keeps it, and it must still work in the cells after."""
    if fd not in _FD_STREAMS:
        raw = open(fd, "wb", closefd=False)  # lives as long as the process
        _FD_STREAMS[fd] = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    return _FD_STREAMS[fd]


@contextlib.contextmanager
def capture_fds():
    """Capture what fds 1 and 2 receive (Python and C++ writes alike); yields a dict."""
    out: dict = {}
    sys.stdout.flush()
    sys.stderr.flush()
    files = [tempfile.TemporaryFile(), tempfile.TemporaryFile()]
    saved = [os.dup(1), os.dup(2)]
    os.dup2(files[0].fileno(), 1)
    os.dup2(files[1].fileno(), 2)
    streams = sys.stdout, sys.stderr  # replaced streams (pytest, IPython) would bypass the fds
    sys.stdout, sys.stderr = _fd_stream(1), _fd_stream(2)
    try:
        yield out
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = streams
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
        for key, f in zip(("stdout", "stderr"), files):
            f.seek(0)
            out[key] = f.read().decode("utf-8", "replace")
            f.close()


def _on_alarm(signum, frame):
    raise CellTimeout()


def run_cell(source: str, namespace: dict, timeout: float, name: str = "<cell>") -> dict:
    """Run one cell in ``namespace``: status, error, stdout, stderr and the displayed repr."""
    result = {"status": "ok", "error_class": None, "error": None, "display": None}
    source = strip_magic_lines(source)
    # as IPython does, keep the source where inspect finds it (AutoGraph reads function source)
    lines = [ln if ln.endswith("\n") else ln + "\n" for ln in source.splitlines(True)]
    linecache.cache[name] = (len(source), None, lines, name)
    display_last = not source.rstrip().endswith(";")
    old = signal.signal(signal.SIGALRM, _on_alarm)
    start = time.monotonic()
    with capture_fds() as captured:
        try:
            signal.setitimer(signal.ITIMER_REAL, timeout)
            tree = ast.parse(source)
            last = None
            if display_last and tree.body and isinstance(tree.body[-1], ast.Expr):
                last = ast.Expression(tree.body.pop().value)
            exec(compile(tree, name, "exec"), namespace)
            if last is not None:
                value = eval(compile(last, name, "eval"), namespace)
                if value is not None:
                    result["display"] = repr(value)
        except CellTimeout:
            result.update(status="timeout", error_class="Timeout", error=f"over {timeout:g} s")
        except BaseException as e:  # a cell may raise anything, SystemExit too
            result.update(status="error", error_class=type(e).__name__, error=str(e)[:2000])
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    result["seconds"] = round(time.monotonic() - start, 3)
    result.update(captured)
    return result


def run_guide_in_process(cells: list, lib: str, timeout: float, results_path: str) -> None:
    """Runner entry: run every cell in order, appending one JSON line per cell to results_path."""
    import warnings

    warnings.simplefilter("ignore")
    os.environ.setdefault("MPLBACKEND", "Agg")
    if lib == "th":
        install_tensorhouse_shim()
    namespace = {"__name__": "__main__"}
    with open(results_path, "a", buffering=1) as out:
        for index, cell in enumerate(cells):
            if is_magic_cell(cell["source"]):
                record = {"status": "skipped", "error_class": None, "error": None}
                record.update(stdout="", stderr="", display=None)
            else:
                record = run_cell(cell["source"], namespace, timeout, f"<guide-cell-{index}>")
            record["index"] = index
            out.write(json.dumps(record) + "\n")
            out.flush()


# ----------------------------------------------------------------------------- normalisation

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_HEX = re.compile(r"0x[0-9a-fA-F]{4,}")
_TIME = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ms|us|µs|ns|s)(?:/(?:step|sample))?(?!\w)")
_DATETIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?|\b\d{8}-\d{6}\b")
_TMP = re.compile(r"/tmp/[^\s'\",)\]]+")
_FUNCTION_NODE = re.compile(r"\{\{function_node [^}]*\}\}\s?")
_OP_NAME = re.compile(r"(\[Op:\w+\]) name: ?")
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_LOG_LINE = re.compile(
    r"^(?:(?:WARNING|INFO|ERROR|DEBUG):\S*:|WARNING: All log messages|[IWEF]\d{4} \d\d:\d\d:\d\d|"
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] )"
)


def _apply_carriage_returns(text: str) -> str:
    text = _ANSI.sub("", text)
    lines = []
    for line in text.split("\n"):
        while "\x08" in line:  # a backspace erases the character before it
            line = re.sub(r"[^\x08]?\x08", "", line, count=1)
        lines.append(line.rstrip("\r").rsplit("\r", 1)[-1])  # a carriage return restarts the line
    return "\n".join(lines)


def filter_stderr(text: str) -> str:
    """stderr without log lines (deprecation notes too) and without traceback frames (the
    exception line stays)."""
    kept, in_tb, note = [], False, False
    for line in text.split("\n"):
        if note or line == "Instructions for updating:":  # a deprecation log's last two lines
            note = not note
            continue
        if line.startswith("Traceback (most recent call last):"):
            in_tb = True
            continue
        if in_tb:
            if line.startswith((" ", "\t")) or not line.strip():
                continue
            in_tb = False
        if _LOG_LINE.match(line):
            continue
        kept.append(line)
    return "\n".join(kept)


def normalize(text: str, mask_numbers: bool = False) -> str:
    """The comparable form of printed output (docs/guides.md lists each step)."""
    text = _apply_carriage_returns(text)
    text = _OP_NAME.sub(r"\1", _FUNCTION_NODE.sub("", text))  # TF's eager-error wrapper
    text = _HEX.sub("0x?", text)
    text = _DATETIME.sub("<datetime>", text)
    text = _TMP.sub("<tmp>", text)
    text = _TIME.sub("<time>", text)
    if mask_numbers:  # unseeded values: numbers masked, and the padding/wrapping they cause
        return re.sub(r"\s+", "", _NUMBER.sub("<n>", text))
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


def printed(record: dict, mask_numbers: bool = False) -> str:
    """What a notebook shows for a cell: stdout, filtered stderr, then the last expression."""
    parts = [record.get("stdout") or "", filter_stderr(record.get("stderr") or "")]
    if record.get("display") is not None:
        parts.append(record["display"])
    return normalize("\n".join(p for p in parts if p), mask_numbers)


# ----------------------------------------------------------------------------- parent side


def guide_hash(cells: list) -> str:
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()[:16]


def run_guide(
    python: str,
    lib: str,
    cells: list,
    timeout: float,
    fallback_site: str | None = None,
    guide_timeout: float | None = None,
) -> list[dict]:
    """Run a guide in a fresh subprocess of ``python`` in a fresh folder; one record per cell."""
    with tempfile.TemporaryDirectory(prefix="guide_") as work:
        guide_file = Path(work, "_cells.json")
        guide_file.write_text(json.dumps(cells))
        results = Path(work, "_results.jsonl")
        env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
        env.pop("PYTHONPATH", None)
        tools = str(Path(__file__).resolve().parent)
        extra = [fallback_site] if fallback_site else []
        boot = (
            f"import sys; sys.path.insert(0, {tools!r}); "
            f"[sys.path.append(p) for p in {extra!r}]; "
            "import guides_diff as g; "
            f"g.run_guide_in_process(g.load_guide({str(guide_file)!r}), {lib!r}, "
            f"{float(timeout)!r}, {str(results)!r})"
        )
        limit = guide_timeout or timeout * max(len(cells), 1) + 120
        note = None
        try:
            proc = subprocess.run(
                [python, "-c", boot], cwd=work, env=env, capture_output=True, timeout=limit
            )
            if proc.returncode != 0:
                note = f"runner exited {proc.returncode}: {proc.stderr.decode()[-500:]}"
        except subprocess.TimeoutExpired:
            note = f"runner killed after {limit:g} s"
        records = {}
        if results.exists():
            for line in results.read_text().splitlines():
                rec = json.loads(line)
                records[rec["index"]] = rec
    out = []
    for index in range(len(cells)):
        rec = records.get(index)
        if rec is None:
            rec = {"index": index, "status": "not_run", "error_class": "NotRun", "error": note}
            rec.update(stdout="", stderr="", display=None)
        out.append(rec)
    return out


def compare(cells: list, tf_runs: list[list[dict]], th: list[dict]) -> list[dict]:
    """Per cell: counted or not, passing on tensorhouse, printing, printed output matching."""
    rows = []
    for i, cell in enumerate(cells):
        tf0 = tf_runs[0][i]
        row = {"index": i, "tags": cell["tags"], "source": cell["source"]}
        row["tf_status"], row["th_status"] = tf0["status"], th[i]["status"]
        row["counted"] = all(run[i]["status"] == "ok" for run in tf_runs)
        row["passed"] = row["counted"] and th[i]["status"] == "ok"
        row["th_error"] = (
            None if th[i]["status"] == "ok" else (th[i]["error_class"], th[i]["error"])
        )
        if tf0["status"] not in ("ok", "skipped"):
            row["tf_error"] = (tf0["error_class"], tf0["error"])
        outs = [printed(run[i]) for run in tf_runs]
        row["nondeterministic"] = len(set(outs)) > 1
        tf_out = printed(tf0, row["nondeterministic"])
        th_out = printed(th[i], row["nondeterministic"])
        row["prints"] = row["passed"] and bool(tf_out)
        row["match"] = row["prints"] and tf_out == th_out
        row["tf_out"], row["th_out"] = tf_out, th_out
        rows.append(row)
    return rows


def summarize(rows: list[dict]) -> dict:
    counted = sum(r["counted"] for r in rows)
    passed = sum(r["passed"] for r in rows)
    prints = sum(r["prints"] for r in rows)
    match = sum(r["match"] for r in rows)
    return {
        "cells": len(rows),
        "skipped": sum(r["tf_status"] == "skipped" for r in rows),
        "tf_ok": counted,
        "th_ok": passed,
        "pass_rate": round(passed / counted, 4) if counted else None,
        "printing": prints,
        "printed_same": match,
        "match_rate": round(match / prints, 4) if prints else None,
    }


def _pct(x):
    return "-" if x is None else f"{100 * x:.1f}%"


def markdown_table(summaries: dict) -> str:
    head = (
        "| guide | cells | magic (skipped) | pass on TF | pass here | pass rate "
        "| print on both | printed same | match rate |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for name, s in summaries.items():
        lines.append(
            f"| {name} | {s['cells']} | {s['skipped']} | {s['tf_ok']} | {s['th_ok']} "
            f"| {_pct(s['pass_rate'])} | {s['printing']} | {s['printed_same']} "
            f"| {_pct(s['match_rate'])} |"
        )
    return head + "\n".join(lines) + "\n"


def _total(summaries: dict) -> dict:
    keys = ("cells", "skipped", "tf_ok", "th_ok", "printing", "printed_same")
    tot = {k: sum(s[k] for s in summaries.values()) for k in keys}
    tot["pass_rate"] = round(tot["th_ok"] / tot["tf_ok"], 4) if tot["tf_ok"] else None
    tot["match_rate"] = round(tot["printed_same"] / tot["printing"], 4) if tot["printing"] else None
    return tot


def _purelib(python: str) -> str | None:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    try:
        return subprocess.run([python, "-c", code], capture_output=True, text=True).stdout.strip()
    except OSError:
        return None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("guides", type=Path, help="folder of guide JSON files")
    p.add_argument("--out", type=Path, required=True, help="report folder (created)")
    p.add_argument("--only", default="", help="comma-separated guide names to run")
    p.add_argument("--tf-python", default=TF_PYTHON)
    p.add_argument("--th-python", default=TH_PYTHON)
    p.add_argument("--cell-timeout", type=float, default=300.0)
    p.add_argument("--tf-runs", type=int, default=2, help="TF runs (to find unseeded output)")
    p.add_argument("--reuse-tf", action="store_true", help="reuse TF results saved in --out/raw")
    p.add_argument("--rescore", action="store_true", help="run nothing: score --out/raw again")
    p.add_argument("--jobs", type=int, default=2, help="guide runs at once")
    p.add_argument("--no-fallback-site", action="store_true")
    args = p.parse_args(argv)

    only = {s for s in args.only.split(",") if s}
    files = sorted(f for f in args.guides.glob("*.json") if not only or f.stem in only)
    raw_dir = args.out / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    sites = {"tf": None, "th": None}
    if (
        not args.no_fallback_site
    ):  # a module one interpreter lacks (matplotlib) comes from the other
        sites = {"tf": _purelib(args.th_python), "th": _purelib(args.tf_python)}
    guides = {f.stem: load_guide(f) for f in files}
    hashes = {name: guide_hash(cells) for name, cells in guides.items()}
    results: dict = {}
    tasks = []
    for name in guides:
        for key, lib in [(f"tf{k}", "tf") for k in range(args.tf_runs)] + [("th", "th")]:
            cache = raw_dir / f"{name}.{key}.json"
            reuse = args.rescore or (args.reuse_tf and lib == "tf")
            saved = json.loads(cache.read_text()) if reuse and cache.exists() else None
            if saved and saved["hash"] == hashes[name]:
                results[(name, key)] = saved["records"]
            elif args.rescore:
                raise SystemExit(f"--rescore: no saved {key} results of {name} in {raw_dir}")
            else:
                tasks.append((name, key, args.tf_python if lib == "tf" else args.th_python, lib))

    def work(task):
        name, key, python, lib = task
        recs = run_guide(python, lib, guides[name], args.cell_timeout, sites[lib])
        (raw_dir / f"{name}.{key}.json").write_text(
            json.dumps({"hash": hashes[name], "records": recs})
        )
        print(f"ran {name} on {key}", flush=True)
        return task, recs

    with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        for (name, key, _, _), recs in pool.map(work, tasks):
            results[(name, key)] = recs
    summaries, all_rows = {}, {}
    for name, cells in guides.items():
        tf_runs = [results[(name, f"tf{k}")] for k in range(args.tf_runs)]
        rows = compare(cells, tf_runs, results[(name, "th")])
        summaries[name] = summarize(rows)
        all_rows[name] = rows
    summaries["**all**"] = _total(summaries)
    failures, mismatches = [], []
    for name, rows in all_rows.items():
        for r in rows:
            first = r["source"].strip().splitlines()[0] if r["source"].strip() else ""
            base = {"guide": name, "cell": r["index"], "tags": r["tags"], "first_line": first}
            if r["counted"] and not r["passed"]:
                cls, msg = r["th_error"]
                failures.append({**base, "error_class": cls, "error": msg})
            elif r["prints"] and not r["match"]:
                mismatches.append({**base, "tf": r["tf_out"][:3000], "th": r["th_out"][:3000]})
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.md").write_text(markdown_table(summaries))
    (args.out / "summary.json").write_text(json.dumps(summaries, indent=1))
    (args.out / "failures.json").write_text(json.dumps(failures, indent=1))
    (args.out / "mismatches.json").write_text(json.dumps(mismatches, indent=1))
    print(markdown_table(summaries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
