"""A size budget per package: lines of Python and of C++/CUDA under ``packages/<pkg>/src``.

A line counts when it is neither blank nor only a comment (``#`` in Python; ``//`` and ``/* */``
in C++/CUDA); docstrings count. ``tools/size_budget.toml`` holds each package's budget; the
check fails, naming the package and language, when a count is over it. Raise the budget in the
same commit that grows a package past it: ``python tools/size_budget.py --update`` writes
today's counts plus ``HEADROOM``.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the budget file's subset of TOML, read here
    tomllib = None

ROOT = pathlib.Path(__file__).resolve().parents[1]
BUDGET_FILE = ROOT / "tools" / "size_budget.toml"
HEADROOM = 0.15
LANGUAGES = {"python": (".py",), "cpp": (".cpp", ".cc", ".h", ".hpp", ".cu", ".cuh")}


def python_lines(text: str) -> int:
    """Non-blank lines that are not only a ``#`` comment."""
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


def cpp_lines(text: str) -> int:
    """Non-blank lines with something besides ``//`` and ``/* ... */`` comments."""
    count, in_block = 0, False
    for line in text.splitlines():
        code, rest = [], line
        while rest:
            if in_block:
                end = rest.find("*/")
                if end < 0:
                    rest = ""
                else:
                    rest, in_block = rest[end + 2 :], False
                continue
            starts = [i for i in (rest.find("//"), rest.find("/*")) if i >= 0]
            if not starts:
                code.append(rest)
                break
            i = min(starts)
            code.append(rest[:i])
            if rest.startswith("//", i):
                break
            rest, in_block = rest[i + 2 :], True
        count += bool("".join(code).strip())
    return count


def load_budget(text: str) -> dict[str, dict[str, int]]:
    """The budget file: ``["pkg"]`` tables of ``language = lines``."""
    if tomllib is not None:
        return tomllib.loads(text)
    budget: dict[str, dict[str, int]] = {}
    table: dict[str, int] = {}
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("["):
            table = budget.setdefault(line.strip('[]"'), {})
        elif "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            table[key] = int(value)
    return budget


def count(package_dir: pathlib.Path) -> dict[str, int]:
    """``{"python": n, "cpp": m}`` for the files under ``package_dir/src``."""
    totals = dict.fromkeys(LANGUAGES, 0)
    for path in sorted((package_dir / "src").rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        for lang, suffixes in LANGUAGES.items():
            if path.suffix in suffixes:
                text = path.read_text(errors="replace")
                totals[lang] += python_lines(text) if lang == "python" else cpp_lines(text)
    return totals


def count_all(root: pathlib.Path = ROOT) -> dict[str, dict[str, int]]:
    return {p.name: count(p) for p in sorted((root / "packages").iterdir()) if (p / "src").is_dir()}


def over_budget(counts: dict[str, dict[str, int]], budget: dict) -> list[str]:
    """One message per (package, language) over its budget or with no budget at all."""
    problems = []
    for pkg, langs in counts.items():
        for lang, n in langs.items():
            limit = budget.get(pkg, {}).get(lang)
            if limit is None and n:
                problems.append(f"{pkg}: {n} lines of {lang} and no budget for it")
            elif limit is not None and n > limit:
                problems.append(f"{pkg}: {n} lines of {lang}, over its budget of {limit}")
    return problems


def render(counts: dict[str, dict[str, int]], headroom: float = HEADROOM) -> str:
    lines = [
        "# Lines of code per package (tools/size_budget.py counts them; `nox -s lint` checks).",
        "# Raise a budget in the commit that needs it: python tools/size_budget.py --update",
    ]
    for pkg, langs in counts.items():
        lines.append(f'\n["{pkg}"]')
        lines += [f"{lang} = {round(n * (1 + headroom))}" for lang, n in langs.items() if n]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="budget = today's count + headroom")
    parser.add_argument("--root", type=pathlib.Path, default=ROOT)
    args = parser.parse_args(argv)
    budget_file = args.root / "tools" / "size_budget.toml"
    counts = count_all(args.root)
    if args.update:
        budget_file.write_text(render(counts))
        print(f"wrote {budget_file}")
        return 0
    budget = load_budget(budget_file.read_text())
    for pkg, langs in counts.items():
        shown = ", ".join(
            f"{lang} {n}/{budget.get(pkg, {}).get(lang, '-')}" for lang, n in langs.items() if n
        )
        print(f"{pkg:12s} {shown}")
    problems = over_budget(counts, budget)
    for p in problems:
        print(f"over budget: {p}")
    if problems:
        print(
            "Shrink the package, or raise its budget on purpose: "
            "python tools/size_budget.py --update"
        )
    return int(bool(problems))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
