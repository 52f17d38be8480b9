"""``tf.audio``: WAV decoding and encoding."""

from ._audio import decode_wav, encode_wav

__all__ = ["decode_wav", "encode_wav"]
