"""``tf.strings``: TF 2.21's values, shapes, dtypes and errors for every op, eagerly and inside
``tf.function``; hash buckets equal TF's for the strings in ``data/strings_hash_buckets.json``."""

import json
import pathlib

import numpy as np
import pytest

DATA = pathlib.Path(__file__).parent / "data" / "strings_hash_buckets.json"


def _list(x):
    return x.to_list() if hasattr(x, "to_list") else x.numpy().tolist()


def _scalar(x):
    """A scalar string tensor's bytes (TF's ``numpy()`` gives bytes, here a 0-d array)."""
    return np.asarray(x.numpy(), dtype=object).item()


def _both(tf, fn, *args):
    """``fn(*args)`` eagerly and traced; both must agree; returns the eager value."""
    eager = fn(*args)
    traced = tf.function(fn)(*args)
    assert _list(eager) == _list(traced)
    return eager


# ---- case, strip, length ----------------------------------------------------------------------


def test_lower_upper_ascii_and_utf8(tf):
    x = tf.constant(["ÀBC", "DéF"])
    assert _both(tf, tf.strings.lower, x).numpy().tolist() == [b"\xc3\x80bc", b"d\xc3\xa9f"]
    got = tf.strings.lower(x, encoding="utf-8").numpy().tolist()
    assert got == ["àbc".encode(), "déf".encode()]
    assert tf.strings.upper(["straße"], encoding="utf-8").numpy().tolist() == [b"STRASSE"]
    assert tf.strings.upper(tf.constant([["ab", "Cd"]])).numpy().tolist() == [[b"AB", b"CD"]]
    assert tf.strings.lower("AB").shape == ()


def test_strip(tf):
    got = _both(tf, tf.strings.strip, tf.constant([" \t a b \n\v\f\r", "\xa0x"]))
    assert got.numpy().tolist() == [b"a b", b"\xc2\xa0x"]


def test_length_bytes_and_chars(tf):
    x = tf.constant([["héllo", ""], ["abc", "日本"]])
    got = _both(tf, tf.strings.length, x)
    assert got.dtype == tf.int32 and got.numpy().tolist() == [[6, 0], [3, 6]]
    chars = tf.strings.length(x, unit="UTF8_CHAR").numpy().tolist()
    assert chars == [[5, 0], [3, 2]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="BYTE"):
        tf.strings.length(["a"], unit="X")


def test_string_ops_reject_numbers(tf):
    with pytest.raises(TypeError, match="Cannot convert"):
        tf.strings.lower([1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="string tensor"):
        tf.strings.lower(tf.constant([1]))


# ---- substr -----------------------------------------------------------------------------------


def test_substr(tf):
    f = lambda x: tf.strings.substr(x, 1, 3)  # noqa: E731
    assert _both(tf, f, tf.constant(["hello", "abc"])).numpy().tolist() == [b"ell", b"bc"]
    assert tf.strings.substr(["hello", "abc"], -2, 5).numpy().tolist() == [b"lo", b"bc"]
    assert tf.strings.substr(["hello"], 1, -1).numpy().tolist() == [b"ello"]
    got = tf.strings.substr("hello", [0, 1, 2], [1, 2, 3]).numpy().tolist()
    assert got == [b"h", b"el", b"llo"]
    got = tf.strings.substr(["héllo"], 1, 2, unit="UTF8_CHAR").numpy().tolist()
    assert got == ["él".encode()]


def test_substr_out_of_range(tf):
    with pytest.raises(tf.errors.InvalidArgumentError, match="pos 4 out of range for string"):
        tf.strings.substr(["hello", "abc"], 4, 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="pos -4 out of range"):
        tf.strings.substr(["hello", "abc"], -4, 1)


# ---- split, join ------------------------------------------------------------------------------


def test_split_whitespace_and_sep(tf):
    got = _both(tf, tf.strings.split, tf.constant(["", "  a  b ", "x\ty\nz"]))
    assert got.to_list() == [[], [b"a", b"b"], [b"x", b"y", b"z"]]
    got = tf.strings.split(["", "a,,b", ","], sep=",")
    assert got.to_list() == [[b""], [b"a", b"", b"b"], [b"", b""]]
    assert tf.strings.split(["a<>b<>c"], sep="<>").to_list() == [[b"a", b"b", b"c"]]


def test_split_scalar_gives_a_tensor(tf):
    got = tf.strings.split("a b")
    assert got.shape == (2,) and got.numpy().tolist() == [b"a", b"b"]


def test_split_maxsplit(tf):
    got = tf.strings.split(["a b c d", "a,b,c"], maxsplit=1).to_list()
    assert got == [[b"a", b"b c d"], [b"a,b,c", b""]]
    got = tf.strings.split(["a,b,c", ",a,"], sep=",", maxsplit=1).to_list()
    assert got == [[b"a", b"b,c"], [b"", b"a,"]]
    got = tf.strings.split(["  a  b c  ", " a"], maxsplit=1).to_list()
    assert got == [[b"a", b"b c  "], [b"a", b""]]
    assert tf.strings.split(["  a b "], maxsplit=0).to_list() == [[b"  a b "]]


def test_split_rank2_and_traced(tf):
    x = tf.constant([["a b", "c"], ["", "d e f"]])
    got = _both(tf, tf.strings.split, x)
    assert got.to_list() == [[[b"a", b"b"], [b"c"]], [[], [b"d", b"e", b"f"]]]


def test_bytes_split(tf):
    got = _both(tf, tf.strings.bytes_split, tf.constant(["ab", "", "é"]))
    assert got.to_list() == [[b"a", b"b"], [], [b"\xc3", b"\xa9"]]
    assert tf.strings.bytes_split("ab").numpy().tolist() == [b"a", b"b"]


def test_join(tf):
    f = lambda a, b: tf.strings.join([a, b], separator="-")  # noqa: E731
    got = _both(tf, f, tf.constant(["a", "b"]), tf.constant("c"))
    assert got.numpy().tolist() == [b"a-c", b"b-c"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Input shapes do not match"):
        tf.strings.join([["a", "b"], ["c", "d", "e"]])


def test_reduce_join(tf):
    x = tf.constant([["a", "b"], ["c", "d"]])
    got = tf.strings.reduce_join(x, axis=1, separator="|").numpy().tolist()
    assert got == [b"a|b", b"c|d"]
    assert _scalar(tf.strings.reduce_join(x)) == b"abcd"
    got = tf.strings.reduce_join(x, axis=0, keepdims=True)
    assert got.shape == (1, 2) and got.numpy().tolist() == [[b"ac", b"bd"]]
    assert tf.strings.reduce_join(x, axis=-1).numpy().tolist() == [b"ab", b"cd"]
    y = tf.constant([[["a", "b"], ["c", "d"]]])
    assert tf.strings.reduce_join(y, axis=[0, 2]).numpy().tolist() == [b"ab", b"cd"]
    empty = tf.strings.reduce_join(tf.constant([[], []], tf.string), axis=1)
    assert empty.numpy().tolist() == [b"", b""]
    f = lambda t: tf.strings.reduce_join(t, axis=0, separator=",")  # noqa: E731
    assert _both(tf, f, x).numpy().tolist() == [b"a,c", b"b,d"]


def test_reduce_join_bad_axis(tf):
    with pytest.raises((tf.errors.InvalidArgumentError, tf.errors.OutOfRangeError),
                       match="Invalid reduction dimension 2"):  # fmt: skip
        tf.strings.reduce_join([["a", "b"], ["c", "d"]], axis=2)


def test_unsorted_segment_join(tf):
    got = tf.strings.unsorted_segment_join(["a", "b", "c"], [1, 0, 1], 3, separator="-")
    assert got.numpy().tolist() == [b"b", b"a-c", b""]
    got = tf.strings.unsorted_segment_join([["a", "b"], ["c", "d"]], [0, 0], 1)
    assert got.numpy().tolist() == [[b"ac", b"bd"]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="segment_ids"):
        tf.strings.unsorted_segment_join(["a", "b"], [0, 5], 2)


# ---- regular expressions ----------------------------------------------------------------------


def test_regex_full_match(tf):
    f = lambda x: tf.strings.regex_full_match(x, "a.c")  # noqa: E731
    got = _both(tf, f, tf.constant(["abc", "abcd", "x"]))
    assert got.dtype == tf.bool and got.numpy().tolist() == [True, False, False]
    got = tf.strings.regex_full_match(["abc", "xyz"], tf.constant("a.*")).numpy().tolist()
    assert got == [True, False]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid pattern: a\\(c"):
        tf.strings.regex_full_match(["abc"], "a(c")


def test_regex_replace(tf):
    f = lambda x: tf.strings.regex_replace(x, r"(a+)", r"<\1>")  # noqa: E731
    got = _both(tf, f, tf.constant(["aaa bbb", "ab"]))
    assert got.numpy().tolist() == [b"<aaa> bbb", b"<a>b"]
    got = tf.strings.regex_replace(["aaa bbb"], r"a", r"[\0]", replace_global=False)
    assert got.numpy().tolist() == [b"[a]aa bbb"]
    assert tf.strings.regex_replace(["abc"], r"x*", r"-").numpy().tolist() == [b"-a-b-c-"]
    assert tf.strings.regex_replace(["baaac"], r"a*", r"-").numpy().tolist() == [b"-b-c-"]
    assert tf.strings.regex_replace(["abc"], r"b", r"\\").numpy().tolist() == [b"a\\c"]


def test_regex_is_re2_on_utf8(tf):
    assert tf.strings.regex_replace(["héllo"], ".", "x").numpy().tolist() == [b"xxxxx"]
    got = tf.strings.regex_replace(["héllo wörld"], r"\w+", "X").numpy().tolist()
    assert got == ["XéX XöX".encode()]
    got = tf.strings.regex_replace(["ab1 2"], r"[[:digit:]]", "#").numpy().tolist()
    assert got == [b"ab# #"]


def test_regex_unicode_categories(tf):
    x = ["ab1 é, Ünï! 日本。"]
    assert tf.strings.regex_replace(x, r"\pL", "#").numpy().tolist() == [
        "##1 #, ###! ##。".encode()
    ]
    assert tf.strings.regex_replace(x, r"\p{P}+", "").numpy().tolist() == [
        "ab1 é Ünï 日本".encode()
    ]
    got = tf.strings.regex_replace(x, r"[\p{Lu}\d]", "_").numpy().tolist()
    assert got == ["ab_ é, _nï! 日本。".encode()]
    assert tf.strings.regex_replace(x, r"\PL", "").numpy().tolist() == ["abéÜnï日本".encode()]
    assert tf.strings.regex_full_match(["Ünï"], r"\p{Lu}\p{Ll}+").numpy().tolist() == [True]


def test_regex_dollar_is_end_of_text(tf):
    got = tf.strings.regex_replace(["ab\n", "ab"], ".$", "Y").numpy().tolist()
    assert got == [b"ab\n", b"aY"]
    got = tf.strings.regex_replace(["ab\ncd"], "(?m).$", "Y").numpy().tolist()
    assert got == [b"aY\ncY"]
    assert tf.strings.regex_full_match(["ab\n"], "ab$").numpy().tolist() == [False]


def test_keras_standardize_pattern(tf):
    punct = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
    x = tf.constant(["Hello, World!", "It's (a) test."])
    got = tf.strings.regex_replace(tf.strings.lower(x), punct, "").numpy().tolist()
    assert got == [b"hello world", b"its a test"]


# ---- numbers ----------------------------------------------------------------------------------


def test_to_number_float(tf):
    x = tf.constant(["1e3", " 2 ", "inf", "-0x10", "1.", ".5", "+3", "1e40"])
    got = _both(tf, tf.strings.to_number, x)
    assert got.dtype == tf.float32
    np.testing.assert_array_equal(got.numpy(), [1e3, 2, np.inf, -16, 1, 0.5, 3, np.inf])
    assert np.isnan(tf.strings.to_number(["nan"]).numpy()[0])
    got = tf.strings.to_number(["0.1", "1e-400"], tf.float64).numpy().tolist()
    assert got == [0.1, 0.0]


def test_to_number_int(tf):
    got = tf.strings.to_number(["+5", "-0", " 7 ", "-2147483648"], tf.int32)
    assert got.dtype == tf.int32 and got.numpy().tolist() == [5, 0, 7, -(2**31)]
    got = tf.strings.to_number(["18446744073709551615"], tf.uint64).numpy().tolist()
    assert got == [2**64 - 1]


@pytest.mark.parametrize(
    "text,dtype",
    [("abc", "float32"), ("", "float32"), (" ", "float32"), ("1e", "float32"),
     ("1_0", "float32"), ("+-1", "float32"), ("1.5f", "float32"), ("0b1", "float32"),
     ("1.5", "int32"), ("1e2", "int32"), ("0x10", "int32"), ("2147483648", "int32"),
     ("", "int64")],
)  # fmt: skip
def test_to_number_errors(tf, text, dtype):
    msg = "StringToNumberOp could not correctly convert string: " + text
    with pytest.raises(tf.errors.InvalidArgumentError, match=msg.replace("+", "\\+")):
        tf.strings.to_number([text], getattr(tf, dtype))


def test_to_number_out_type(tf):
    with pytest.raises(tf.errors.InvalidArgumentError, match="out_type"):
        tf.strings.to_number(["1"], tf.int16)


def test_as_string(tf):
    x = tf.constant([1.5, 2.0, 1e10, 1.23456789, float("nan"), float("inf")])
    got = _both(tf, tf.strings.as_string, x).numpy().tolist()
    assert got == [b"1.500000", b"2.000000", b"10000000000.000000", b"1.234568", b"nan", b"inf"]
    s = tf.strings.as_string
    assert s([1.5, 2.0, 3.14159], precision=2).numpy().tolist() == [b"1.50", b"2.00", b"3.14"]
    got = s([1.5, 12345.0], scientific=True).numpy().tolist()
    assert got == [b"1.500000e+00", b"1.234500e+04"]
    got = s([1.5, 1e-10, 123456789.0], shortest=True).numpy().tolist()
    assert got == [b"1.5", b"1e-10", b"1.23457e+08"]
    assert s([1, -2, 300], width=5, fill="0").numpy().tolist() == [b"00001", b"-0002", b"00300"]
    assert s([1, -2, 300], width=5).numpy().tolist() == [b"    1", b"   -2", b"  300"]
    assert s([1.5], width=8, fill="0", precision=2).numpy().tolist() == [b"00001.50"]
    assert s([True, False]).numpy().tolist() == [b"true", b"false"]
    assert s(tf.constant([2**40], tf.int64)).numpy().tolist() == [b"1099511627776"]
    got = s(tf.constant([0.1, 1e20], tf.float64)).numpy().tolist()
    assert got == [b"0.100000", b"100000000000000000000.000000"]


@pytest.mark.parametrize(
    "kwargs,msg",
    [({"width": 5, "fill": "ab"}, "Fill string must be one or fewer characters"),
     ({"scientific": True, "shortest": True}, "Cannot select both scientific and shortest"),
     ({"precision": 2, "ints": True}, "precision not supported for datatype int32")],
)  # fmt: skip
def test_as_string_errors(tf, kwargs, msg):
    x = [1] if kwargs.pop("ints", False) else [1.5]
    with pytest.raises(tf.errors.InvalidArgumentError, match=msg):
        tf.strings.as_string(x, **kwargs)


# ---- format -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template,make,kwargs,want",
    [("x={} y={}", lambda tf: [tf.constant([1, 2, 3]), tf.constant("hi")], {},
      b'x=[1 2 3] y="hi"'),
     ("{}", lambda tf: tf.constant([[1.5, 2.0], [3.0, 4.0]]), {}, b"[[1.5 2]\n [3 4]]"),
     ("{}", lambda tf: tf.range(10), {}, b"[0 1 2 ... 7 8 9]"),
     ("{}", lambda tf: tf.reshape(tf.range(100), [10, 10]), {"summarize": 2},
      b"[[0 1 ... 8 9]\n [10 11 ... 18 19]\n ...\n [80 81 ... 88 89]\n [90 91 ... 98 99]]"),
     ("{}", lambda tf: [tf.constant(["a", "b"])], {}, b'["a" "b"]'),
     ("a{}b", lambda tf: [tf.constant(3)], {}, b"a3b"),
     ("{}", lambda tf: [3.5], {}, b"3.5"),
     ("{}", lambda tf: [tf.constant([True, False])], {}, b"[1 0]"),
     ("{}", lambda tf: [tf.constant(1.0 / 3)], {}, b"0.333333343"),
     ("{}", lambda tf: [tf.range(10)], {"summarize": -1}, b"[0 1 2 3 4 5 6 7 8 9]"),
     ("%s", lambda tf: [tf.range(3)], {"placeholder": "%s"}, b"[0 1 2]"),
     ("{}", lambda tf: [tf.constant([0.1, 123.456, 1e-7])], {}, b"[0.1 123.456 1e-07]"),
     ("{}", lambda tf: [tf.zeros([0])], {}, b"[]"),
     ("{}", lambda tf: [tf.constant(["a\nb", 'q"'])], {}, b'["a\\nb" "q\\""]'),
     ("{}", lambda tf: [tf.reshape(tf.range(8), [2, 2, 2])], {},
      b"[[[0 1]\n  [2 3]]\n\n [[4 5]\n  [6 7]]]"),
     ("{}", lambda tf: [tf.constant([1e20, 1.5e-5, -0.0, float("-inf")])], {},
      b"[1e+20 1.5e-05 -0 -inf]"),
     ("{}", lambda tf: [tf.constant([0.1, 1 / 3], tf.float64)], {},
      b"[0.1 0.33333333333333331]"),
     ("{}", lambda tf: [tf.zeros([2, 0])], {}, b"[\n ...]"),
     ("hello", lambda tf: [], {}, b"hello"),
     ("{}", lambda tf: [tf.range(5)], {"summarize": 0}, b"[ ...]"),
     ("{} {}", lambda tf: ["x", [1, 2]], {}, b'"x" [1 2]'),
     ("{}", lambda tf: [tf.constant(["é\x01\x7f"])], {}, '["é\\001\\177"]'.encode())],
)  # fmt: skip
def test_format(tf, template, make, kwargs, want):
    got = tf.strings.format(template, make(tf), **kwargs)
    assert got.shape == () and _scalar(got) == want


def test_format_traced_and_errors(tf):
    f = tf.function(lambda x: tf.strings.format("v: {}", [x]))
    assert _scalar(f(tf.constant([1, 2]))) == b"v: [1 2]"
    with pytest.raises(ValueError, match="The template expects 2 tensors"):
        tf.strings.format("{} {}", [tf.constant(3)])


# ---- hashing ----------------------------------------------------------------------------------


def test_hash_buckets_equal_tfs():
    ref = json.loads(DATA.read_text(encoding="utf-8"))
    assert len(ref["strings"]) >= 50


@pytest.mark.parametrize(
    "key,fn",
    [("fast_1000", lambda s, x: s.to_hash_bucket_fast(x, 1000)),
     ("fast_big", lambda s, x: s.to_hash_bucket_fast(x, 2**62 + 7)),
     ("strong_1000_1_2", lambda s, x: s.to_hash_bucket_strong(x, 1000, [1, 2])),
     ("strong_big", lambda s, x: s.to_hash_bucket_strong(x, 2**62 + 7,
                                                         [0xDECAFCAFFE, 2**62 + 5])),
     ("legacy_1000", lambda s, x: s.to_hash_bucket(x, 1000)),
     ("legacy_big", lambda s, x: s.to_hash_bucket(x, 2**62 + 7))],
)  # fmt: skip
def test_hash_bucket_values(tf, key, fn):
    ref = json.loads(DATA.read_text(encoding="utf-8"))
    x = tf.constant(ref["strings"])
    got = _both(tf, lambda t: fn(tf.strings, t), x)
    assert got.dtype == tf.int64 and got.numpy().tolist() == ref[key]
    # any rank: the same buckets as a [1, n] matrix
    m = fn(tf.strings, tf.constant([ref["strings"]]))
    assert m.shape == (1, len(ref[key])) and m.numpy()[0].tolist() == ref[key]


def test_hash_bucket_errors(tf):
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_buckets"):
        tf.strings.to_hash_bucket_fast(["a"], 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Key must have 2 elements"):
        tf.strings.to_hash_bucket_strong(["a"], 10, [1])


# ---- Unicode ----------------------------------------------------------------------------------


def test_unicode_decode(tf):
    f = lambda x: tf.strings.unicode_decode(x, "UTF-8")  # noqa: E731
    got = _both(tf, f, tf.constant(["héllo".encode(), "\xff\xfea".encode(), b"a\xe2\x82", b"\xc3"]))
    assert got.to_list() == [[104, 233, 108, 108, 111], [255, 254, 97], [97, 65533], [65533]]
    bad = [b"a\xe2\x82b", b"\xf0\x80\x80\x80x", b"\xed\xa0\x80"]
    got = tf.strings.unicode_decode(bad, "UTF-8", replacement_char=63).to_list()
    assert got == [[97, 63, 98], [63, 63, 63, 63, 120], [63, 63, 63]]
    got = tf.strings.unicode_decode([b"a\xe2\x82b"], "UTF-8", errors="ignore").to_list()
    assert got == [[97, 98]]
    got = tf.strings.unicode_decode(["a\x01\x7f\x85b"], "UTF-8", replace_control_characters=True)
    assert got.to_list() == [[97, 65533, 127, 133, 98]]
    scalar = tf.strings.unicode_decode("hé", "UTF-8")
    assert scalar.dtype == tf.int32 and scalar.numpy().tolist() == [104, 233]
    assert tf.strings.unicode_decode([["a", "bc"]], "UTF-8").to_list() == [[[97], [98, 99]]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid formatting"):
        tf.strings.unicode_decode([b"a\xe2\x82b"], "UTF-8", errors="strict")


def test_unicode_split(tf):
    f = lambda x: tf.strings.unicode_split(x, "UTF-8")  # noqa: E731
    got = _both(tf, f, tf.constant(["héllo".encode(), b"a\xffb"]))
    assert got.to_list() == [[b"h", "é".encode(), b"l", b"l", b"o"], [b"a", b"\xef\xbf\xbd", b"b"]]


def test_unicode_offsets(tf):
    x = tf.constant([b"h\xc3\xa9", b"a\xffb\xe2\x82c"])
    f = lambda t: tf.strings.unicode_decode_with_offsets(t, "UTF-8")  # noqa: E731
    points, offsets = f(x)
    assert points.to_list() == [[104, 233], [97, 65533, 98, 65533, 99]]
    assert offsets.to_list() == [[0, 1], [0, 1, 2, 3, 5]]
    traced = tf.function(f)(x)
    assert traced[1].to_list() == offsets.to_list()
    points, offsets = tf.strings.unicode_decode_with_offsets([b"a\xffb"], "UTF-8", errors="ignore")
    assert points.to_list() == [[97, 98]] and offsets.to_list() == [[0, 2]]
    chars, offsets = tf.strings.unicode_split_with_offsets(["h\xe9llo"], "UTF-8")
    assert chars.to_list() == [[b"h", b"\xc3\xa9", b"l", b"l", b"o"]]
    assert offsets.to_list() == [[0, 1, 3, 4, 5]]
    points, offsets = tf.strings.unicode_decode_with_offsets([b"\x00h\x00\xe9"], "UTF-16-BE")
    assert points.to_list() == [[104, 233]] and offsets.to_list() == [[0, 2]]
    points, offsets = tf.strings.unicode_decode_with_offsets("hé", "UTF-8")
    assert offsets.dtype == tf.int64 and offsets.numpy().tolist() == [0, 1]


def test_unicode_transcode(tf):
    got = tf.strings.unicode_transcode([b"h\xc3\xa9", b"a\xffb"], "UTF-8", "UTF-16-BE")
    assert got.numpy().tolist() == [b"\x00h\x00\xe9", b"\x00a\xff\xfd\x00b"]
    got = tf.strings.unicode_transcode([b"\x00h\x00\xe9"], "UTF-16-BE", "UTF-8")
    assert got.numpy().tolist() == [b"h\xc3\xa9"]
    got = tf.strings.unicode_transcode([b"a\x01b"], "UTF-8", "UTF-8",
                                       replace_control_characters=True)  # fmt: skip
    assert got.numpy().tolist() == [b"a\xef\xbf\xbdb"]
    got = tf.strings.unicode_transcode([b"a\xffb"], "UTF-8", "UTF-8", errors="ignore")
    assert got.numpy().tolist() == [b"ab"]


def test_unicode_encode(tf):
    f = lambda x: tf.strings.unicode_encode(x, "UTF-8")  # noqa: E731
    got = _both(tf, f, tf.constant([[104, 233], [0x110000, -1]]))
    assert got.numpy().tolist() == ["hé".encode(), "\ufffd\ufffd".encode()]
    assert _scalar(tf.strings.unicode_encode([104, 105], "UTF-8")) == b"hi"
    got = tf.strings.unicode_encode([104, 0x110000, 105], "UTF-8", errors="ignore")
    assert _scalar(got) == b"hi"
    got = _scalar(tf.strings.unicode_encode([104, 0x1F600], "UTF-16-BE"))
    assert got == b"\x00h\xd8=\xde\x00"
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range for Unicode"):
        tf.strings.unicode_encode([0x110000], "UTF-8", errors="strict")


def test_unicode_encode_ragged(tf):
    rt = tf.RaggedTensor.from_row_splits(tf.constant([104, 233, 0xD800]), tf.constant([0, 2, 3]))
    got = tf.strings.unicode_encode(rt, "UTF-8", replacement_char=63)
    assert got.numpy().tolist() == ["hé".encode(), b"?"]


# ---- ngrams -----------------------------------------------------------------------------------


def test_ngrams_dense(tf):
    f = lambda x: tf.strings.ngrams(x, 2)  # noqa: E731
    got = _both(tf, f, tf.constant(["a", "b", "c", "d"]))
    assert got.numpy().tolist() == [b"a b", b"b c", b"c d"]
    got = _both(tf, f, tf.constant([["a", "b", "c"], ["d", "e", "f"]]))
    assert got.shape == (2, 2) and got.numpy().tolist() == [[b"a b", b"b c"], [b"d e", b"e f"]]


def test_ngrams_padding(tf):
    got = tf.strings.ngrams(["a", "b", "c"], 3, pad_values=("<", ">"), padding_width=1)
    assert got.numpy().tolist() == [b"< a b", b"a b c", b"b c >"]
    got = tf.strings.ngrams(["a", "b"], 2, pad_values="#")
    assert got.numpy().tolist() == [b"# a", b"a b", b"b #"]
    got = tf.strings.ngrams(["a"], 2, pad_values="#", padding_width=2)
    assert got.numpy().tolist() == [b"# a", b"a #"]


def _ragged(tf, rows):
    values = [v for r in rows for v in r]
    splits = np.cumsum([0] + [len(r) for r in rows]).tolist()
    return tf.RaggedTensor.from_row_splits(
        tf.constant(values, tf.string), tf.constant(splits, tf.int64)
    )


def test_ngrams_ragged(tf):
    rt = _ragged(tf, [["a", "b", "c"], ["d"], []])
    got = tf.strings.ngrams(rt, (1, 2), separator="_").to_list()
    assert got == [[b"a", b"b", b"c", b"a_b", b"b_c"], [b"d"], []]
    rt = _ragged(tf, [["a", "b"], ["c", "d", "e"]])
    got = tf.strings.ngrams(rt, 3, preserve_short_sequences=True).to_list()
    assert got == [[b"a b"], [b"c d e"]]
    got = tf.strings.ngrams(_ragged(tf, [["a"], []]), 3, pad_values="#", padding_width=1,
                            preserve_short_sequences=True)  # fmt: skip
    assert got.to_list() == [[b"# a #"], []]


def test_ngrams_padding_on_ragged_rows(tf):
    rt = _ragged(tf, [["a", "b", "c"], [], ["d"]])
    got = tf.strings.ngrams(rt, 3, pad_values="#").to_list()
    assert got == [[b"# # a", b"# a b", b"a b c", b"b c #", b"c # #"], [b"# # #", b"# # #"],
                   [b"# # d", b"# d #", b"d # #"]]  # fmt: skip
    got = tf.strings.ngrams(rt, (1, 3), pad_values="#", padding_width=1).to_list()
    assert got == [[b"a", b"b", b"c", b"# a b", b"a b c", b"b c #"], [], [b"d", b"# d #"]]
    got = tf.strings.ngrams(_ragged(tf, [["a", "b"]]), 4, pad_values="#", padding_width=1,
                            preserve_short_sequences=True)  # fmt: skip
    assert got.to_list() == [[b"# a b #"]]


def test_ngrams_errors(tf):
    with pytest.raises(ValueError, match="Data must have rank>0"):
        tf.strings.ngrams("a", 2)
    with pytest.raises(ValueError, match="All ngram_widths must be greater than 0"):
        tf.strings.ngrams(["a"], 0)


# ---- ragged inputs ----------------------------------------------------------------------------


def test_split_ragged_input(tf):
    rt = _ragged(tf, [["a b", "c"], []])
    assert tf.strings.split(rt).to_list() == [[[b"a", b"b"], [b"c"]], []]


def test_elementwise_on_ragged(tf):
    rt = _ragged(tf, [[" A b", "C"], []])
    assert tf.strings.lower(rt).to_list() == [[b" a b", b"c"], []]
    assert tf.strings.strip(rt).to_list() == [[b"A b", b"C"], []]
    assert tf.strings.length(rt).to_list() == [[4, 1], []]
