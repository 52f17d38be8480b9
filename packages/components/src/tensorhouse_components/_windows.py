"""SciPy's ``signal.get_window`` without SciPy: every window it names, in NumPy float64.

The windows are constants computed once when weights are made (``initializers.STFT``), never
inside a step. ``get_window(window, length, fftbins=True)`` takes a name (``"hann"``), a
``(name, *params)`` tuple (``("kaiser", 8.0)``) or a float (a Kaiser window's beta), as SciPy
1.17 does, with its aliases and its ``_periodic`` / ``_symmetric`` suffixes. A periodic window
(``fftbins=True``) is the symmetric window one sample longer, without its last sample.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

__all__ = ["get_window"]


def _cosine_sum(m, coefficients):
    fac = np.linspace(-np.pi, np.pi, m)
    return sum(a * np.cos(k * fac) for k, a in enumerate(coefficients))


def _centered(m):
    return np.arange(m) - (m - 1) / 2.0


def _triang(m):
    n = np.arange(1, (m + 1) // 2 + 1)
    half = (2 * n - 1.0) / m if m % 2 == 0 else 2 * n / (m + 1.0)
    return np.concatenate([half, half[::-1] if m % 2 == 0 else half[-2::-1]])


def _parzen(m):
    n = np.abs(_centered(m))
    outer = 2 * (1 - n / (m / 2.0)) ** 3
    inner = 1 - 6 * (n / (m / 2.0)) ** 2 + 6 * (n / (m / 2.0)) ** 3
    return np.where(n <= (m - 1) / 4.0, inner, outer)


def _bohman(m):
    fac = np.abs(np.linspace(-1, 1, m)[1:-1])
    inner = (1 - fac) * np.cos(np.pi * fac) + np.sin(np.pi * fac) / np.pi
    return np.concatenate([[0.0], inner, [0.0]])


def _bartlett(m):
    n = np.arange(m)
    return np.where(n <= (m - 1) / 2.0, 2.0 * n / (m - 1), 2.0 - 2.0 * n / (m - 1))


def _barthann(m):
    fac = np.abs(np.arange(m) / (m - 1.0) - 0.5)
    return 0.62 - 0.48 * fac + 0.38 * np.cos(2 * np.pi * fac)


def _kaiser(m, beta):
    half = (m - 1) / 2.0
    return np.i0(beta * np.sqrt(1 - ((np.arange(m) - half) / half) ** 2)) / np.i0(beta)


def _exponential(m, center=None, tau=1.0):
    return np.exp(-np.abs(np.arange(m) - ((m - 1) / 2.0 if center is None else center)) / tau)


def _tukey(m, alpha=0.5):
    if alpha <= 0:
        return np.ones(m)
    if alpha >= 1.0:
        return _cosine_sum(m, [0.5, 0.5])
    n = np.arange(m)
    width = int(np.floor(alpha * (m - 1) / 2.0))
    w = np.ones(m)
    left, right = n[: width + 1], n[m - width - 1 :]
    w[: width + 1] = 0.5 * (1 + np.cos(np.pi * (-1 + 2.0 * left / alpha / (m - 1))))
    w[m - width - 1 :] = 0.5 * (
        1 + np.cos(np.pi * (-2.0 / alpha + 1 + 2.0 * right / alpha / (m - 1)))
    )
    return w


def _taylor(m, nbar=4, sll=30, norm=True):
    a = np.arccosh(10 ** (sll / 20)) / np.pi
    s2 = nbar**2 / (a**2 + (nbar - 0.5) ** 2)
    ma = np.arange(1, nbar, dtype=np.float64)
    m2 = ma * ma
    fm = np.array([
        (-1) ** i * np.prod(1 - m2[i] / s2 / (a**2 + (ma - 0.5) ** 2))
        / (2 * np.prod(1 - m2[i] / m2[:i]) * np.prod(1 - m2[i] / m2[i + 1 :]))
        for i in range(len(ma))
    ])  # fmt: skip

    def shape(n):
        return 1 + 2 * fm @ np.cos(2 * np.pi * ma[:, None] * (n - m / 2.0 + 0.5) / m)

    w = shape(np.arange(m, dtype=np.float64))
    return w / shape((m - 1) / 2.0) if norm else w


def _chebwin(m, at):
    if abs(at) < 45:
        warnings.warn(
            "This window is not suitable for spectral analysis for attenuation values lower "
            "than about 45dB because the equivalent noise bandwidth of a Chebyshev window does "
            "not grow monotonically with increasing sidelobe attenuation when the attenuation "
            "is smaller than about 45 dB.",
            stacklevel=4,
        )
    order = m - 1.0
    beta = np.cosh(np.arccosh(10 ** (abs(at) / 20.0)) / order)
    x = beta * np.cos(np.pi * np.arange(m) / m)
    with np.errstate(invalid="ignore"):  # each branch is taken only where it is defined
        p = np.where(
            x > 1,
            np.cosh(order * np.arccosh(x)),
            np.where(
                x < -1,
                (2 * (m % 2) - 1) * np.cosh(order * np.arccosh(-x)),
                np.cos(order * np.arccos(np.clip(x, -1, 1))),
            ),
        )
    if m % 2:
        w = np.real(np.fft.fft(p))[: (m + 1) // 2]
        w = np.concatenate([w[:0:-1], w])
    else:
        w = np.real(np.fft.fft(p * np.exp(1j * np.pi / m * np.arange(m))))[1 : m // 2 + 1]
        w = np.concatenate([w[::-1], w])
    return w / np.max(w)


def _dpss(m, nw):
    n = np.arange(m, dtype=np.float64)
    tridiagonal = np.diag(((m - 1 - 2 * n) / 2.0) ** 2 * np.cos(2 * np.pi * nw / m))
    off = n[1:] * (m - n[1:]) / 2.0
    tridiagonal += np.diag(off, 1) + np.diag(off, -1)
    w = np.linalg.eigh(tridiagonal)[1][:, -1]  # the eigenvector of the largest eigenvalue
    w = w / np.max(w) if w.sum() >= 0 else -w / np.max(-w)
    return w * (m**2 / (m**2 + nw)) if m % 2 == 0 else w


def _kbd(m, beta):
    if m % 2:
        raise ValueError("Kaiser-Bessel Derived windows are only defined for even number of points")
    total = np.cumsum(_kaiser(m // 2 + 1, beta))
    half = np.sqrt(total[:-1] / total[-1])
    return np.concatenate([half, half[::-1]])


_BLACKMAN = [0.42, 0.50, 0.08]
_NUTTALL = [0.3635819, 0.4891775, 0.1365995, 0.0106411]
_BLACKMANHARRIS = [0.35875, 0.48829, 0.14128, 0.01168]
_FLATTOP = [0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368]

# (names), symmetric window of length m >= 2, parameters: False, True or "optional"
_WINDOWS = [
    (("barthann", "brthan", "bth"), _barthann, False),
    (("bartlett", "bart", "brt"), _bartlett, False),
    (("blackman", "black", "blk"), lambda m: _cosine_sum(m, _BLACKMAN), False),
    (("blackmanharris", "blackharr", "bkh"), lambda m: _cosine_sum(m, _BLACKMANHARRIS), False),
    (("bohman", "bman", "bmn"), _bohman, False),
    (("boxcar", "box", "ones", "rect", "rectangular"), np.ones, False),
    (("chebwin", "cheb"), _chebwin, True),
    (("cosine", "halfcosine"), lambda m: np.sin(np.pi / m * (np.arange(m) + 0.5)), False),
    (("dpss",), _dpss, True),
    (("exponential", "poisson"), _exponential, "optional"),
    (("flattop", "flat", "flt"), lambda m: _cosine_sum(m, _FLATTOP), False),
    (("gaussian", "gauss", "gss"), lambda m, std: np.exp(-(_centered(m) ** 2) / (2 * std * std)),
     True),
    (("general cosine", "general_cosine"), _cosine_sum, True),
    (("general gaussian", "general_gaussian", "general gauss", "general_gauss", "ggs"),
     lambda m, p, sig: np.exp(-0.5 * np.abs(_centered(m) / sig) ** (2 * p)), True),
    (("general hamming", "general_hamming"), lambda m, a: _cosine_sum(m, [a, 1.0 - a]), True),
    (("hamming", "hamm", "ham"), lambda m: _cosine_sum(m, [0.54, 0.46]), False),
    (("hann", "han"), lambda m: _cosine_sum(m, [0.5, 0.5]), False),
    (("kaiser", "ksr"), _kaiser, True),
    (("kaiser bessel derived", "kaiser_bessel_derived", "kbd"), _kbd, True),
    (("lanczos", "sinc"), lambda m: np.sinc(np.linspace(-1.0, 1.0, m)), False),
    (("nuttall", "nutl", "nut"), lambda m: _cosine_sum(m, _NUTTALL), False),
    (("parzen", "parz", "par"), _parzen, False),
    (("taylor", "taylorwin"), _taylor, "optional"),
    (("triangle", "triang", "tri"), _triang, False),
    (("tukey", "tuk"), _tukey, "optional"),
]  # fmt: skip
_BY_NAME = {name: (fn, params) for names, fn, params in _WINDOWS for name in names}


def get_window(window, length, fftbins=True):
    """The window ``scipy.signal.get_window(window, length, fftbins)`` gives, as float64."""
    if isinstance(length, bool) or not (isinstance(length, numbers.Integral) and length > 0):
        raise ValueError(f"Parameter Nx={length!r} is not a positive integer")
    if not isinstance(fftbins, bool):
        raise ValueError(f"Parameter fftbins={fftbins!r} is not of type bool!")
    if not isinstance(window, (str, tuple)):
        try:
            beta = float(window)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"Parameter window={window!r} must be a tuple, a string or a float!"
            ) from error
        window = ("kaiser", beta)
    if isinstance(window, tuple) and not (window and isinstance(window[0], str)):
        raise ValueError(f"First tuple entry of parameter window={window!r} is not a str!")
    name, args = (window, ()) if isinstance(window, str) else (window[0], window[1:])
    sym = not fftbins
    for suffix, symmetric in (("_symmetric", True), ("_periodic", False)):
        if name.endswith(suffix):
            sym, name = symmetric, name[: -len(suffix)]
    if name not in _BY_NAME:
        raise ValueError(f"Invalid window name '{name}' in parameter window={window!r}!")
    fn, params = _BY_NAME[name]
    if args and params is False:
        raise ValueError(f"'{name}' does not allow parameters, but window={window!r}!")
    if not args and params is True:
        raise ValueError(f"'{name}' must have parameters, but window={window!r}!")
    if fn is _dpss and len(args) != 1:
        raise ValueError(f"Window {name} must have one parameter but window={window!r}")
    if fn is _dpss and length > 1 and not 0 < args[0] < length / 2.0:
        raise ValueError("NW must be less than M/2." if args[0] > 0 else "NW must be positive")
    if fn is _kbd and not sym:
        raise ValueError("Kaiser-Bessel Derived windows are only defined for symmetric shapes")
    if fn is _exponential and sym and (args[0] if args else None) is not None:
        raise ValueError("If sym==True, center must be None.")
    if length == 1 and fn is not _kbd:
        return np.ones(1)
    m = length if sym else length + 1
    return np.asarray(fn(m, *args), dtype=np.float64)[:length]
