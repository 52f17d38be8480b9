"""``keras.preprocessing.image``: the PIL image helpers and ``smart_resize``."""

from ..utils import array_to_img, img_to_array, load_img, save_img
from ._smart_resize import smart_resize

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]
