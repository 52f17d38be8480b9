"""Host-side text helpers for ``tf.strings``: RE2 patterns and rewrites run by Python's ``re``,
number parsing as TF's ``StringToNumber``, ``AsString`` formats and TF's tensor summaries (the
text ``tf.strings.format`` and ``tf.print`` write)."""

from __future__ import annotations

import functools
import re
import unicodedata

import numpy as np

from tensorhouse_kernels.runtime import errors

# ---- RE2 on Python's re -----------------------------------------------------------------------

# RE2's POSIX classes (inside brackets) as ASCII ranges Python's re understands.
_POSIX = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z",
    "print": " -~", "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z",
    "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}  # fmt: skip
_POSIX_RE = re.compile(r"\[:(\^?)(" + "|".join(_POSIX) + r"):\]")


_UNICODE_CLASS = re.compile(r"\\([pP])(?:\{(\^?)([A-Za-z_]+)\}|([A-Za-z]))")


@functools.lru_cache(maxsize=1)
def _categories() -> np.ndarray:
    """The general category of every code point (``<U2``)."""
    return np.array(list(map(unicodedata.category, map(chr, range(0x110000)))))


@functools.lru_cache(maxsize=64)
def _category_ranges(name: str):
    """The code points of Unicode general category ``name`` (``L``, ``Lu``, ...; ``Any``) as
    the inside of a character class, or None for a name RE2 knows but this does not."""
    if name == "Any":
        return "\\x00-\\U0010ffff"
    if len(name) > 2 or not name[0].isupper():
        return None
    cats = _categories()
    member = np.char.startswith(cats, name) if len(name) == 1 else cats == name
    edges = np.diff(np.concatenate([[0], member.view(np.int8), [0]]))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0] - 1
    if not len(starts):
        return None
    return "".join(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}"
                   for lo, hi in zip(starts.tolist(), ends.tolist()))  # fmt: skip


def _unicode_classes(pattern: str) -> str:
    """RE2's ``\\pL`` / ``\\p{Lu}`` / ``\\PL`` (general categories) as classes Python's
    ``re`` reads; inside brackets only the positive forms."""

    def sub(m, in_class):
        negate = (m.group(1) == "P") != (m.group(2) == "^")
        name = m.group(3) or m.group(4)
        ranges = _category_ranges(name)
        if ranges is None or (negate and in_class):
            raise re.error(f"invalid Unicode class \\{m.group(1)}{{{name}}}")
        return ranges if in_class else ("[^" if negate else "[") + ranges + "]"

    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "[":
            j = i + 1
            j += pattern[j : j + 1] == "^"
            j += pattern[j : j + 1] == "]"
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            out.append(_UNICODE_CLASS.sub(lambda m: sub(m, True), pattern[i : j + 1]))
            i = j + 1
        elif c == "\\" and i + 1 < n:
            m = _UNICODE_CLASS.match(pattern, i)
            out.append(sub(m, False) if m else pattern[i : i + 2])
            i = m.end() if m else i + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _translate(pattern: str) -> str:
    """An RE2 pattern in Python's syntax: POSIX classes; ``\\z``, and ``$`` outside multi-line
    mode, match only at the end of the text (Python's ``$`` also matches before a final
    newline); the rest is shared."""
    if "[:" in pattern:
        pattern = _POSIX_RE.sub(lambda m: _POSIX[m.group(2)] if not m.group(1) else m.group(0),
                                pattern)  # fmt: skip
    if "\\p" in pattern or "\\P" in pattern:
        pattern = _unicode_classes(pattern)
    if "\\z" not in pattern and "$" not in pattern:
        return pattern
    multiline = re.search(r"\(\?[a-zA-Z]*m", pattern) is not None
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            out.append("\\Z" if pattern[i + 1] == "z" else pattern[i : i + 2])
            i += 2
        elif c == "[":  # a class, copied up to its closing bracket
            j = i + 1
            j += pattern[j : j + 1] == "^"
            j += pattern[j : j + 1] == "]"  # a leading ] is a literal
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            out.append(pattern[i : j + 1])
            i = j + 1
        else:
            out.append("\\Z" if c == "$" and not multiline else c)
            i += 1
    return "".join(out)


@functools.lru_cache(maxsize=256)
def compile_re2(pattern: bytes):
    """A compiled pattern over text (RE2 matches UTF-8 characters; ``\\w``, ``\\d``, ``\\s``
    and ``\\b`` are ASCII); an invalid one is TF's InvalidArgumentError."""
    text = pattern.decode("utf-8", "surrogateescape")
    try:
        return re.compile(_translate(text), re.ASCII)
    except re.error as e:
        raise errors.InvalidArgumentError(f"Invalid pattern: {text}, error: {e}") from None


@functools.lru_cache(maxsize=64)
def byte_class(pattern: bytes):
    """The ASCII bytes a pattern that is one plain character class (``[...]``: literals,
    escaped punctuation and ranges; no negation, nested or named classes) matches, or None."""
    text = pattern.decode("utf-8", "surrogateescape")
    if len(text) < 3 or text[0] != "[" or text[-1] != "]" or text[1] == "^":
        return None
    body, chars, i = text[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            if i + 1 == len(body) or body[i + 1].isalnum():
                return None  # \d, \w, \p{..}, \x41 ...: not a plain literal
            c, i = body[i + 1], i + 2
        elif c in "[]" or not c.isascii():
            return None
        else:
            i += 1
        chars.append(c)
    members, k = set(), 0
    while k < len(chars):  # ranges: an unescaped "-" between two members
        lo = chars[k]
        if k + 2 < len(chars) and chars[k + 1] == "-" and _is_range(body, chars, k):
            hi = chars[k + 2]
            if ord(lo) > ord(hi):
                return None
            members.update(map(chr, range(ord(lo), ord(hi) + 1)))
            k += 3
        else:
            members.add(lo)
            k += 1
    rx = compile_re2(pattern)
    if any((rx.fullmatch(chr(b)) is not None) != (chr(b) in members) for b in range(128)):
        return None  # a construct this reading missed: keep the regex path
    return "".join(sorted(members)).encode("ascii")


def _is_range(body, chars, k):
    """Whether the ``-`` after member ``k`` of ``body`` is unescaped (a range operator)."""
    pos, n = 0, 0
    while n <= k:  # the body position just after member k
        pos += 2 if body[pos] == "\\" else 1
        n += 1
    return body[pos] == "-"


@functools.lru_cache(maxsize=256)
def parse_rewrite(rewrite: bytes):
    """An RE2 rewrite (``\\0``..``\\9`` groups, ``\\\\`` a backslash) as a list of literal
    strings and group numbers; None when RE2 rejects it (TF then leaves the input as is)."""
    text = rewrite.decode("utf-8", "surrogateescape")
    parts, lit, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if nxt.isdigit() and nxt.isascii():
                parts.append("".join(lit))
                parts.append(int(nxt))
                lit, i = [], i + 2
                continue
            if nxt == "\\":
                lit.append("\\")
                i += 2
                continue
            return None
        lit.append(c)
        i += 1
    parts.append("".join(lit))
    return tuple(p for p in parts if p != "")


def _min_width(rx) -> int:
    """The fewest characters a match of ``rx`` takes (0: it may match empty)."""
    try:
        from re import _parser as parser
    except ImportError:  # Python 3.10
        import sre_parse as parser
    try:
        return parser.parse(rx.pattern, rx.flags).getwidth()[0]
    except Exception:
        return 0


@functools.lru_cache(maxsize=256)
def python_template(rx, parts):
    """``parts`` as a template for Python's ``re.sub`` when ``rx`` never matches empty (then
    Python's and RE2's replacements agree); else None."""
    if _min_width(rx) == 0:
        return None
    out = []
    for p in parts:
        out.append(p.replace("\\", "\\\\") if isinstance(p, str) else f"\\g<{p}>")
    return "".join(out)


def _rewrite(parts, m):
    return "".join(p if isinstance(p, str) else (m.group(p) or "") for p in parts)


def re2_replace(rx, parts, text: str, replace_global: bool) -> str:
    """RE2's ``GlobalReplace`` / ``Replace`` of ``text``: an empty match right after the end of
    the previous match is skipped, as RE2 does (Python's ``re.sub`` would replace it)."""
    if not replace_global:
        m = rx.search(text)
        return text if m is None else text[: m.start()] + _rewrite(parts, m) + text[m.end() :]
    empty = []

    def fn(m):
        if m.start() == m.end():
            empty.append(True)
        return _rewrite(parts, m)

    out = rx.sub(fn, text)
    if not empty:
        return out
    pieces, p, lastend, n = [], 0, -1, len(text)
    while p <= n:
        m = rx.search(text, p)
        if m is None:
            break
        pieces.append(text[p : m.start()])
        if m.start() == m.end() and m.start() == lastend:
            if p < n:
                pieces.append(text[p])
            p += 1
            continue
        pieces.append(_rewrite(parts, m))
        p = lastend = m.end()
    pieces.append(text[p:])
    return "".join(pieces)


# ---- StringToNumber ---------------------------------------------------------------------------

_INT_RE = re.compile(rb"[ \t\n\v\f\r]*([+-]?[0-9]+)[ \t\n\v\f\r]*")
_FLOAT_RE = re.compile(
    rb"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|(nan)(?:\(\w*\))?)",
    re.I,
)
_HEX_RE = re.compile(rb"([+-]?)(0[xX][0-9a-fA-F]*\.?[0-9a-fA-F]*(?:[pP][+-]?[0-9]+)?)")
_WS = b" \t\n\v\f\r"

_INT_RANGE = {
    "int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1),
    "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1),
}  # fmt: skip


def _bad_number(s: bytes):
    return errors.InvalidArgumentError(
        "StringToNumberOp could not correctly convert string: "
        + s.decode("utf-8", "backslashreplace")
    )


def to_number(flat: np.ndarray, dtype: str) -> np.ndarray:
    """Each string parsed as ``dtype`` (TF's rules: surrounding ASCII space, no ``_``, hex
    floats; ints in range); a bad string is TF's InvalidArgumentError."""
    if dtype in _INT_RANGE:
        lo, hi = _INT_RANGE[dtype]
        out = np.empty(len(flat), dtype=dtype)
        for i, s in enumerate(flat):
            m = _INT_RE.fullmatch(s)
            v = int(m.group(1)) if m else None
            if v is None or not lo <= v <= hi:
                raise _bad_number(s)
            out[i] = v
        return out
    vals = np.empty(len(flat), dtype=np.float64)
    for i, s in enumerate(flat):
        t = s.strip(_WS)
        m = _FLOAT_RE.fullmatch(t)
        if m:
            vals[i] = np.nan if m.group(1) else float(t)
            continue
        m = _HEX_RE.fullmatch(t)
        if m and any(c in b"0123456789abcdefABCDEF" for c in m.group(2)[2:].split(b"p")[0]):
            try:
                v = float.fromhex(m.group(2).decode())
            except (ValueError, OverflowError):
                raise _bad_number(s) from None
            vals[i] = -v if m.group(1) == b"-" else v
            continue
        raise _bad_number(s)
    with np.errstate(over="ignore"):
        return vals.astype(dtype)


# ---- AsString ---------------------------------------------------------------------------------


def as_string_format(dtype: str, precision, scientific, shortest, width, fill) -> str:
    """The printf format TF's ``AsString`` builds, or its InvalidArgumentError."""
    is_float = dtype in ("float16", "bfloat16", "float32", "float64")
    if scientific and shortest:
        raise errors.InvalidArgumentError("Cannot select both scientific and shortest notation")
    if len(fill) > 1:
        raise errors.InvalidArgumentError("Fill string must be one or fewer characters")
    fmt = "%"
    if fill:
        if fill not in " +-0#":
            raise errors.InvalidArgumentError(f'Fill argument not supported: "{fill}"')
        fmt += fill
    if width > -1:
        fmt += str(width)
    if precision > -1:
        fmt += f".{precision}"
    if not is_float and (scientific or shortest):
        raise errors.InvalidArgumentError(
            f"scientific and shortest format not supported for datatype {dtype}"
        )
    if not is_float and precision > -1:
        raise errors.InvalidArgumentError(f"precision not supported for datatype {dtype}")
    if is_float:
        return fmt + ("e" if scientific else "g" if shortest else "f")
    if dtype in ("string", "bool"):
        return fmt + "s"
    if dtype.startswith(("int", "uint")):
        return fmt + "d"
    raise errors.InvalidArgumentError(f"Type {dtype} not supported.")


def as_string(arr: np.ndarray, fmt: str) -> np.ndarray:
    """Each element of ``arr`` through the printf ``fmt``, as bytes."""
    flat = arr.reshape(-1)
    out = np.empty(flat.shape, dtype=object)
    if arr.dtype == object:
        bfmt = fmt.encode()
        out[:] = [bfmt % v for v in flat]
    elif arr.dtype.kind == "b":
        out[:] = [(fmt % ("true" if v else "false")).encode() for v in flat]
    else:
        vals = flat.astype(np.float64) if arr.dtype.kind == "f" else flat
        out[:] = [(fmt % v).encode() for v in vals.tolist()]
    return out.reshape(arr.shape)


# ---- tensor summaries (tf.strings.format) -----------------------------------------------------

_ESCAPES = {0x0A: b"\\n", 0x0D: b"\\r", 0x09: b"\\t", 0x22: b'\\"', 0x27: b"\\'", 0x5C: b"\\\\"}


def c_escape(s: bytes) -> bytes:
    """absl's UTF-8-safe ``CEscape``: C escapes, other control bytes as 3-digit octal, bytes
    from 0x80 as they are."""
    out = bytearray()
    for c in s:
        if c in _ESCAPES:
            out += _ESCAPES[c]
        elif c < 0x20 or c == 0x7F:
            out += b"\\%03o" % c
        else:
            out.append(c)
    return bytes(out)


def _float_text(v, digits, more, np_type) -> str:
    if np.isnan(v):
        return "-nan" if np.signbit(v) else "nan"
    s = f"{v:.{digits}g}"
    return s if np_type(float(s)) == v else f"{v:.{more}g}"


def element_text(v, dtype: str) -> str:
    """One element as TF's summaries print it (shortest float text that reads back)."""
    if dtype == "string":
        return '"' + c_escape(v).decode("utf-8", "surrogateescape") + '"'
    if dtype == "bool":
        return "1" if v else "0"
    if dtype == "float64":
        return _float_text(float(v), 15, 17, np.float64)
    if dtype in ("float32", "float16", "bfloat16"):
        return _float_text(np.float32(v), 6, 9, np.float32)
    return str(int(v))


def summarize(arr: np.ndarray, dtype: str, summarize_n: int) -> str:
    """TF's ``SummarizeValue`` in print-v2 form: nested brackets, at most ``summarize_n``
    entries at each end of every dimension (-1: all)."""
    if arr.ndim == 0:
        return element_text(arr.reshape(()).item() if dtype != "string" else arr.item(), dtype)
    limit = arr.size if summarize_n < 0 else min(summarize_n, arr.size)
    shape, ndims, out = arr.shape, arr.ndim, []
    flat = arr.reshape(-1)

    def spacing(dim):
        if dim == ndims - 1:
            out.append(" ")
        else:
            out.append("\n" * (ndims - dim - 1) + " " * (dim + 1))

    def dim_text(dim, index):
        if dim == ndims:
            out.append(element_text(flat[index], dtype))
            return
        out.append("[")
        count = shape[dim]
        per = int(np.prod(shape[dim + 1 :], dtype=np.int64))
        for i in range(min(limit, count)):
            if i > 0:
                spacing(dim)
            dim_text(dim + 1, index + per * i)
        if count > 2 * limit:
            spacing(dim)
            out.append("...")
        for i in range(max(limit, count - limit), count):
            spacing(dim)
            dim_text(dim + 1, index + per * i)
        out.append("]")

    dim_text(0, 0)
    return "".join(out)
