"""Which Keras 3 ``Operation`` class each ``keras.ops`` function builds on KerasTensors, for
saving functional models as Keras 3 does: its module and class name, the arguments its
``call`` receives (the tensors; ``*name`` passed by keyword) and the constructor arguments kept
in its config. Loading looks a class up here by module and class name, and nothing else."""

from __future__ import annotations

from typing import NamedTuple

from . import config as _config
from ._dtypes import standardize_dtype

__all__ = ["OpSpec", "normalize_config", "spec_for_class", "spec_for_function"]


class OpSpec(NamedTuple):
    """One Keras operation class and the ``keras.ops`` function it stands for."""

    function: str
    module: str  # "keras.src.ops.numpy", ...
    class_name: str
    call_args: tuple  # passed positionally to ``call``
    call_kwargs: tuple  # passed by keyword to ``call``
    init_args: tuple  # the config (after "name")
    call_varargs: str = ""  # Keras's ``call(*name)``: the rest of the tensors, in order


# One line per function: ``name[=ClassName] call args [| config args]``; the class name is
# the CamelCase name unless given; a ``*`` marks a call argument Keras passes by keyword, a
# ``+`` its ``call``'s variadic argument (``einsum``'s operands).
_TABLE = {
    "numpy": """
        abs=Absolute x
        absolute x
        add x1 x2
        all x | axis keepdims
        allclose=AllClose x1 x2 | rtol atol equal_nan
        amax x | axis keepdims
        amin x | axis keepdims
        any x | axis keepdims
        append x1 x2 | axis
        arange start stop *step | dtype
        argmax x | axis keepdims
        argmin x | axis keepdims
        argsort x | axis
        array x | dtype
        array_split x | indices_or_sections axis
        average x *weights | axis
        bincount x | weights minlength sparse
        broadcast_to x | shape
        cbrt x
        ceil x
        clip x | x_min x_max
        concatenate xs | axis
        conj=Conjugate x
        conjugate x
        copy x
        cos x
        cosh x
        count_nonzero x | axis
        cross x1 x2 | axisa axisb axisc axis
        cumprod x | axis dtype
        cumsum x | axis dtype
        deg2rad x
        diag x | k
        diagflat x | k
        diagonal x | offset axis1 axis2
        diff a | n axis
        digitize x bins
        divide x1 x2
        divide_no_nan x1 x2
        dot x1 x2
        einsum +operands | subscripts
        empty_like x | dtype
        equal x1 x2
        exp x
        exp2 x
        expand_dims x | axis
        expm1 x
        fabs x
        flip x | axis
        fliplr x
        flipud x
        floor x
        floor_divide x1 x2
        fmod x1 x2
        full fill_value | shape dtype
        full_like x fill_value | dtype
        get_item=GetItem x key
        greater x1 x2
        greater_equal x1 x2
        heaviside x1 x2
        hsplit x | indices_or_sections
        hstack xs
        hypot x1 x2
        imag x
        inner x1 x2
        isclose x1 x2 rtol atol | equal_nan
        isfinite x
        isinf x
        isnan x
        isneginf x
        isposinf x
        isin=IsIn x1 x2 | assume_unique invert
        kron x1 x2
        less x1 x2
        less_equal x1 x2
        linspace start stop | num endpoint retstep dtype axis
        log x
        log10 x
        log1p x
        log2 x
        logaddexp x1 x2
        logaddexp2 x1 x2
        logical_and x1 x2
        logical_not x
        logical_or x1 x2
        logical_xor x1 x2
        logspace start stop | num endpoint base dtype axis
        matmul x1 x2
        max x | axis keepdims initial
        maximum x1 x2
        mean x | axis keepdims
        median x | axis keepdims
        meshgrid +x | indexing
        min x | axis keepdims initial
        minimum x1 x2
        mod x1 x2
        moveaxis x | source destination
        multiply x1 x2
        nan_to_num x | nan posinf neginf
        nanmax x | axis keepdims
        nanmean x | axis keepdims
        nanmin x | axis keepdims
        nansum x | axis keepdims
        ndim x
        negative x
        nonzero x
        not_equal x1 x2
        ones_like x | dtype
        outer x1 x2
        pad x *constant_values | pad_width mode
        percentile x q | axis method keepdims
        power x1 x2
        prod x | axis keepdims dtype
        ptp x | axis keepdims
        quantile x q | axis method keepdims
        rad2deg x
        ravel x
        real x
        reciprocal x
        repeat x | repeats axis
        reshape x | newshape
        roll x | shift axis
        rot90 array | k axes
        round x | decimals
        searchsorted=SearchSorted sorted_sequence values | side
        select condlist choicelist default
        sign x
        signbit x
        sin x
        sinc x
        sinh x
        size x
        slogdet x
        sort x | axis
        split x | indices_or_sections axis
        sqrt x
        square x
        squeeze x | axis
        stack x | axis
        std x | axis keepdims
        subtract x1 x2
        sum x | axis keepdims
        swapaxes x | axis1 axis2
        take x indices | axis
        take_along_axis x indices | axis
        tan x
        tanh x
        tensordot x1 x2 | axes
        tile x | repeats
        trace x | offset axis1 axis2
        transpose x | axes
        tril x | k
        triu x | k
        true_divide x1 x2
        trunc x
        unravel_index indices | shape
        vander x | N increasing
        var x | axis keepdims
        vdot x1 x2
        vsplit x | indices_or_sections
        vstack xs
        where condition x1 x2
        zeros_like x | dtype
        angle x
        arccos x
        arccosh x
        arcsin x
        arcsinh x
        arctan x
        arctan2 x1 x2
        arctanh x
        bitwise_and x y
        bitwise_invert x
        bitwise_left_shift x y
        bitwise_not x
        bitwise_or x y
        bitwise_right_shift x y
        bitwise_xor x y
        dsplit x | indices_or_sections
        dstack xs
        fmax x1 x2
        fmin x1 x2
        isreal x
        ldexp x1 x2
        left_shift x y
        nanargmax x | axis keepdims
        nanargmin x | axis keepdims
        nancumprod x | axis dtype
        nancumsum x | axis dtype
        nanprod x | axis keepdims
        nanstd x | axis keepdims
        nanvar x | axis keepdims
        right_shift x y
        trapezoid y | x dx axis
        corrcoef x
        gcd x1 x2
        geomspace start stop | num endpoint dtype axis
        lcm x1 x2
        nanquantile x q | axis method keepdims
        nanpercentile x q | axis method keepdims
        nanmedian x | axis keepdims
        histogram x | bins range
        correlate x1 x2 | mode
        argpartition x | kth axis
        unique x | sorted return_index return_inverse return_counts axis size fill_value
    """,
    "core": """
        cast x | dtype
        convert_to_tensor x | dtype sparse ragged
        saturate_cast x | dtype
        scatter indices values | shape
        scatter_update inputs indices updates | reduction
        slice inputs start_indices | shape
        slice_update inputs start_indices updates
        stop_gradient variable
        unstack x | num axis
    """,
    "nn": """
        average_pool inputs | pool_size strides padding data_format
        batch_normalization=BatchNorm x mean variance offset scale | axis epsilon
        binary_crossentropy target output | from_logits
        categorical_crossentropy target output | from_logits axis
        celu x | alpha
        conv inputs kernel | strides padding data_format dilation_rate
        conv_transpose inputs kernel | strides padding output_padding data_format dilation_rate
        depthwise_conv inputs kernel | strides padding data_format dilation_rate
        dot_product_attention query key value *bias *mask *scale \
            | is_causal flash_attention attn_logits_soft_cap
        elu x | alpha
        gelu x | approximate
        glu x | axis
        hard_shrink x | threshold
        hard_sigmoid x
        hard_silu x
        hard_swish=HardSilu x
        hard_tanh x
        layer_normalization=LayerNorm x gamma beta | axis epsilon rms_scaling
        leaky_relu x | negative_slope
        log_sigmoid x
        log_softmax x | axis
        max_pool inputs | pool_size strides padding data_format
        moments x | axes keepdims synchronized
        multi_hot inputs | num_classes axis dtype sparse
        normalize x | axis order epsilon
        one_hot x | num_classes axis dtype sparse
        relu x
        relu6 x
        rms_normalization=RMSNorm x *scale | axis epsilon
        selu x
        separable_conv inputs depthwise_kernel pointwise_kernel \
            | strides padding data_format dilation_rate
        sigmoid x
        silu x
        soft_shrink x | threshold
        softmax x | axis
        softplus x
        softsign x
        sparse_categorical_crossentropy target output | from_logits axis
        sparse_plus x
        sparse_sigmoid x
        sparsemax x | axis
        squareplus x | b
        swish=Silu x
        tanh_shrink x
        threshold x | threshold default_value
        depth_to_space x | block_size data_format
        polar abs_ angle
        psnr=PSNR x1 x2 | max_val
        adaptive_average_pool inputs | output_size data_format
        adaptive_max_pool inputs | output_size data_format
        fold x | output_size kernel_size dilation padding stride
        unfold x | kernel_size dilation padding stride
        ctc_loss=CTCLoss target output target_length output_length | mask_index
        ctc_decode=CTCDecode inputs sequence_lengths \
            | strategy beam_width top_paths merge_repeated mask_index
        space_to_depth x | block_size data_format
    """,
    "linalg": """
        cholesky x | upper
        cholesky_inverse x | upper
        det x
        eigh x
        inv x
        lstsq a b | rcond
        lu_factor x
        matrix_rank x | tol
        norm x | ord axis keepdims
        pinv x | rcond
        qr x | mode
        solve a b
        solve_triangular a b | lower
        svd=SVD x | full_matrices compute_uv
    """,
    "image": """
        affine_transform images transform | interpolation fill_mode fill_value data_format
        crop_images images | top_cropping left_cropping bottom_cropping right_cropping \
            target_height target_width data_format
        extract_patches images | size strides dilation_rate padding data_format
        hsv_to_rgb=HSVToRGB images | data_format
        map_coordinates inputs coordinates | order fill_mode fill_value
        pad_images images | top_padding left_padding bottom_padding right_padding \
            target_height target_width data_format
        resize images | size interpolation antialias crop_to_aspect_ratio pad_to_aspect_ratio \
            fill_mode fill_value data_format
        rgb_to_grayscale=RGBToGrayscale images | data_format
        rgb_to_hsv=RGBToHSV images | data_format
        gaussian_blur images | kernel_size sigma data_format
        perspective_transform images start_points end_points | interpolation fill_value data_format
        sobel_edges images | data_format
        ssim=SSIM image1 image2 | max_val filter_size filter_sigma k1 k2 data_format
    """,
    "math": """
        erf x
        erfc x
        extract_sequences x | sequence_length sequence_stride
        fft=FFT x
        fft2=FFT2 x
        ifft2=IFFT2 x
        in_top_k targets predictions | k
        irfft=IRFFT x | fft_length
        logdet x
        logsumexp x | axis keepdims
        rfft=RFFT x | fft_length
        rsqrt x
        segment_max data segment_ids | num_segments sorted
        segment_prod data segment_ids | num_segments sorted
        cdist=CDist x y
        view_as_complex x
        view_as_real x
        segment_min data segment_ids | num_segments sorted
        segment_sum data segment_ids | num_segments sorted
        top_k x | k sorted
        stft=STFT x | sequence_length sequence_stride fft_length window center
        istft=ISTFT x | sequence_length sequence_stride fft_length length window center
    """,
}


def _camel(name):
    return "".join(part.capitalize() for part in name.split("_"))


def _parse():
    by_function, by_class = {}, {}
    for module, text in _TABLE.items():
        for line in text.strip().splitlines():
            words, _, init = line.partition("|")
            head, *call = words.split()
            function, _, class_name = head.partition("=")
            spec = OpSpec(
                function,
                f"keras.src.ops.{module}",
                class_name or _camel(function),
                tuple(a for a in call if a[0] not in "*+"),
                tuple(a[1:] for a in call if a.startswith("*")),
                tuple(init.split()),
                next((a[1:] for a in call if a.startswith("+")), ""),
            )
            by_function[function] = spec
            by_class.setdefault((spec.module, spec.class_name), spec)  # aliases come later
    return by_function, by_class


_BY_FUNCTION, _BY_CLASS = _parse()


def spec_for_function(name):
    """The ``OpSpec`` of the ``keras.ops`` function ``name``, or None."""
    return _BY_FUNCTION.get(name)


def spec_for_class(module, class_name):
    """The ``OpSpec`` of Keras's operation class ``class_name`` in ``module``, or None."""
    return _BY_CLASS.get((module, class_name))


_FLOATX_BY_DEFAULT = {"one_hot", "multi_hot"}  # Keras fills their dtype before saving it


def normalize_config(spec, config):
    """The config as Keras's functions settle it before making the operation: dtypes as
    names, ``data_format`` filled in, ``padding`` / ``reduction`` lower case, shapes tuples."""
    out = dict(config)
    if "dtype" in out:
        if out["dtype"] is not None:
            out["dtype"] = standardize_dtype(out["dtype"])
        elif spec.function in _FLOATX_BY_DEFAULT:
            out["dtype"] = _config.floatx()
    if "data_format" in out and out["data_format"] is None:
        out["data_format"] = _config.image_data_format()
    for key in ("padding", "reduction"):
        if isinstance(out.get(key), str):
            out[key] = out[key].lower()
    if spec.function == "reshape" and "newshape" in out:
        shape = out["newshape"]
        out["newshape"] = tuple(shape) if isinstance(shape, list | tuple) else (shape,)
    return out
