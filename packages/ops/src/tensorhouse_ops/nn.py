"""TF's ``tf.nn``: the namespace. The ops live in ``_nn`` (the kernels' neural-network ops and
what composes from them directly), ``_nn_composed`` (losses, moments, 1-D pools),
``_nn_more`` (3-D, transposed, atrous and separable convolutions, pools, morphology, sparse
embedding lookups), ``_nn_ctc`` (CTC loss and decoders) and ``_nn_sampled`` (the sampled
losses)."""

from __future__ import annotations

from ._nn import *  # noqa: F403
from ._nn import __all__ as _core
from ._nn_ctc import ctc_beam_search_decoder, ctc_greedy_decoder, ctc_loss, ctc_unique_labels
from ._nn_more import *  # noqa: F403
from ._nn_more import __all__ as _more
from ._nn_sampled import compute_accidental_hits, nce_loss, sampled_softmax_loss

__all__ = [*_core, *_more, "ctc_beam_search_decoder", "ctc_greedy_decoder", "ctc_loss",
           "ctc_unique_labels", "compute_accidental_hits", "nce_loss",
           "sampled_softmax_loss"]  # fmt: skip
