"""``tf.image``'s patches, edges and quality measures: ``extract_patches``, ``sobel_edges``,
``psnr``, ``ssim``, ``ssim_multiscale`` and the YIQ colour space, by TF's formulas.

Each is composed: patches are strided slices stacked along the depth axis (any dtype, gradients
from the slices), the filters are ``depthwise_conv2d`` with kernels built at trace time, as TF
builds them; so they trace and differentiate like the ops they are made of.
"""

from __future__ import annotations

import numpy as np

from . import _array, _math, nn
from . import dtypes as _dt
from ._image import convert_image_dtype
from ._tensor import VariableLike, convert_to_tensor, errors

__all__ = ["extract_patches", "psnr", "rgb_to_yiq", "sobel_edges", "ssim", "ssim_multiscale",
           "yiq_to_rgb"]  # fmt: skip


def _four(value, name):
    value = list(value)
    if len(value) != 4:
        raise errors.InvalidArgumentError(
            f"Length for attr '{name}' of {len(value)} must be at "
            f"least minimum 4 (ExtractImagePatches)"
        )
    if value[0] != 1 or value[3] != 1:
        raise errors.UnimplementedError(
            f"Only support {name} across space. (ExtractImagePatches, got {value})"
        )
    return value[1:3]


def _same_pads(n, k, stride):
    out = -(-n // stride)
    total = max((out - 1) * stride + k - n, 0)
    return out, [total // 2, total - total // 2]


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """``[batch, out_rows, out_cols, ksize_rows * ksize_cols * depth]``: each window of
    ``sizes`` (taken every ``strides``, its taps ``rates`` apart) flattened row by row."""
    x = images._th_read() if isinstance(images, VariableLike) else convert_to_tensor(images)
    if x.shape.rank != 4:
        raise errors.InvalidArgumentError(
            f"ExtractImagePatches: input must be 4-dimensional, got shape {x.shape}"
        )
    (kh, kw), (sh, sw), (rh, rw) = (
        _four(v, n) for v, n in ((sizes, "ksizes"), (strides, "strides"), (rates, "rates"))
    )
    h, w = x.shape.as_list()[1:3]
    eh, ew = (kh - 1) * rh + 1, (kw - 1) * rw + 1
    padding = padding.upper() if isinstance(padding, str) else padding
    if padding == "VALID":
        oh, ow = max((h - eh) // sh + 1, 0), max((w - ew) // sw + 1, 0)
    elif padding == "SAME":
        (oh, ph), (ow, pw) = _same_pads(h, eh, sh), _same_pads(w, ew, sw)
        x = _array.pad(x, [[0, 0], ph, pw, [0, 0]])
    else:
        raise errors.InvalidArgumentError(
            f"ExtractImagePatches: Value for attr 'padding' of "
            f"{padding!r} is not in the list of allowed values: "
            f"'SAME', 'VALID'"
        )
    taps = [
        x[:, i * rh : i * rh + (oh - 1) * sh + 1 : sh, j * rw : j * rw + (ow - 1) * sw + 1 : sw]
        for i in range(kh)
        for j in range(kw)
    ]
    depth = x.shape.as_list()[3]
    if not oh * ow:  # windows larger than the image: no patches
        return _array.zeros(
            _array.concat([_array.shape(x)[:1], [oh, ow, kh * kw * depth]], 0), x.dtype
        )
    return _array.reshape(_array.stack(taps, axis=3), [-1, oh, ow, kh * kw * depth])


_SOBEL = np.array([[[-1, -2, -1], [0, 0, 0], [1, 2, 1]], [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]])


def sobel_edges(image):
    """``[batch, h, w, depth, 2]``: the Sobel ``dy`` and ``dx`` of each channel, the edges
    reflected (TF's kernels and padding)."""
    image = convert_to_tensor(image)
    if image.shape.rank != 4:
        raise errors.InvalidArgumentError(
            f"sobel_edges expects a 4D tensor [batch, h, w, d], not {image.shape}"
        )
    depth = image.shape.as_list()[3]
    kernel = np.tile(np.transpose(_SOBEL, (1, 2, 0))[:, :, None, :], (1, 1, depth, 1))
    padded = _array.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    out = nn.depthwise_conv2d(padded, kernel.astype(image.dtype.as_numpy_dtype), [1] * 4, "VALID")
    return _array.reshape(out, [-1, *image.shape.as_list()[1:], 2])


def _pair_float(a, b, max_val, check=True):
    a = a._th_read() if isinstance(a, VariableLike) else convert_to_tensor(a)
    b = b._th_read() if isinstance(b, VariableLike) else convert_to_tensor(b, a.dtype)
    if check and (a.shape.rank < 3 or a.shape.as_list()[-3:] != b.shape.as_list()[-3:]):
        raise ValueError(f"Shapes {a.shape} and {b.shape} are incompatible images")
    max_val = convert_image_dtype(_math.cast(max_val, a.dtype), _dt.float32)
    return convert_image_dtype(a, _dt.float32), convert_image_dtype(b, _dt.float32), max_val


def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio per image, in dB (float32; integer images on their scale)."""
    a, b, max_val = _pair_float(a, b, max_val, check=False)  # the difference checks the shapes
    mse = _math.reduce_mean(_math.squared_difference(a, b), [-3, -2, -1])
    return 20.0 * _math.log(max_val) / float(np.log(10.0)) - float(10 / np.log(10)) * _math.log(mse)


def _gauss(size, sigma):
    """TF's normalized 2-D Gaussian is the outer product of this 1-D one with itself."""
    coords = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-0.5 * coords**2 / float(sigma) ** 2)
    return (g / g.sum()).astype(np.float32)


def _ssim_parts(x, y, max_val, filter_size, filter_sigma, k1, k2):
    """Per-pixel luminance and contrast-structure terms over the Gaussian windows."""
    h, w, depth = x.shape.as_list()[-3:]
    if h < filter_size or w < filter_size:
        raise errors.InvalidArgumentError(
            f"img1 has dimension less than filter size: shape {x.shape}, filter {filter_size}"
        )
    g = np.tile(_gauss(filter_size, filter_sigma)[:, None, None], (1, depth, 1))
    lead = x.shape.as_list()[:-3]

    def reducer(t):  # the Gaussian blur as two 1-D passes (separable: 2k taps, not k^2)
        out = _array.reshape(t, [-1, h, w, depth])
        out = nn.depthwise_conv2d(out, g[:, None], [1] * 4, "VALID")
        out = nn.depthwise_conv2d(out, g[None, :], [1] * 4, "VALID")
        return _array.reshape(out, [-1 if d is None else d for d in lead] + out.shape.as_list()[1:])

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mean0, mean1 = reducer(x), reducer(y)
    num0 = mean0 * mean1 * 2.0
    den0 = _math.square(mean0) + _math.square(mean1)
    luminance = (num0 + c1) / (den0 + c1)
    num1 = reducer(x * y) * 2.0
    den1 = reducer(_math.square(x) + _math.square(y))
    return luminance, (num1 - num0 + c2) / (den1 - den0 + c2)


def ssim(
    img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, return_index_map=False
):
    """TF's structural similarity: the mean over pixels (or the per-pixel map) of the product
    of luminance and contrast-structure terms, averaged over channels (float32)."""
    x, y, max_val = _pair_float(img1, img2, max_val)
    luminance, cs = _ssim_parts(x, y, max_val, filter_size, filter_sigma, k1, k2)
    value = luminance * cs
    if not return_index_map:
        value = _math.reduce_mean(value, [-3, -2])
    return _math.reduce_mean(value, [-1])


_MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def ssim_multiscale(
    img1,
    img2,
    max_val,
    power_factors=_MSSSIM_WEIGHTS,
    filter_size=11,
    filter_sigma=1.5,
    k1=0.01,
    k2=0.03,
):
    """Multi-scale SSIM: contrast-structure at each scale halved by 2x2 average pooling (odd
    sides padded with their last row / column), luminance at the last, weighted by
    ``power_factors``; per image, float32."""
    x, y, max_val = _pair_float(img1, img2, max_val)
    lead = x.shape.as_list()[:-3]
    values = []
    for k in range(len(power_factors)):
        if k:
            h, w, depth = x.shape.as_list()[-3:]
            pads = [[0, 0], [0, h % 2], [0, w % 2], [0, 0]]

            def down(t, pads=pads, h=h, w=w, depth=depth):
                t = _array.pad(_array.reshape(t, [-1, h, w, depth]), pads, mode="SYMMETRIC")
                out = nn.avg_pool2d(t, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
                return _array.reshape(
                    out, [-1 if d is None else d for d in lead] + out.shape.as_list()[1:]
                )

            x, y = down(x), down(y)
        luminance, cs = _ssim_parts(x, y, max_val, filter_size, filter_sigma, k1, k2)
        values.append(
            nn.relu(
                _math.reduce_mean(cs if k < len(power_factors) - 1 else luminance * cs, [-3, -2])
            )
        )
    stacked = _array.stack(values, axis=-1)
    weights = convert_to_tensor(np.asarray(power_factors, np.float32))
    return _math.reduce_mean(_math.reduce_prod(_math.pow(stacked, weights), [-1]), [-1])


_YIQ = np.array(
    [
        [0.299, 0.59590059, 0.2115],
        [0.587, -0.27455667, -0.52273617],
        [0.114, -0.32134392, 0.31119955],
    ],
    np.float32,
)
_RGB = np.array(
    [[1, 1, 1], [0.95598634, -0.27201283, -1.10674021], [0.6208248, -0.64720424, 1.70423049]],
    np.float32,
)


def _mix(images, matrix):
    images = convert_to_tensor(images)
    if images.shape.as_list()[-1] != 3:
        raise errors.InvalidArgumentError(
            f"Dimension -1 of 'images' (shape {images.shape}) must be 3"
        )
    kernel = convert_to_tensor(matrix.astype(images.dtype.as_numpy_dtype))
    return _math.tensordot(images, kernel, axes=[[images.shape.rank - 1], [0]])


def rgb_to_yiq(images):
    """RGB in [0, 1] to YIQ."""
    return _mix(images, _YIQ)


def yiq_to_rgb(images):
    """YIQ back to RGB."""
    return _mix(images, _RGB)
