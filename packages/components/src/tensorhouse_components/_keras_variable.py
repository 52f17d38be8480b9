"""``KerasVariable``: an ops ``Variable`` named and pathed as Keras 3 names its variables."""

from __future__ import annotations

from tensorhouse_ops import Variable

__all__ = ["KerasVariable", "keras_variable"]


class KerasVariable(Variable):
    """A Variable whose ``name`` is Keras's short name (``kernel``) and ``path`` its owner's
    scope (``dense/kernel``); the ops layer sees the path as its name (``dense/kernel:0``)."""

    @property
    def name(self) -> str:
        """The short name (``kernel``)."""
        short = self.__dict__.get("_keras_name")
        return short if short is not None else Variable.name.fget(self)

    def __repr__(self):
        shape = tuple(self.shape.as_list())
        return (
            f"<Variable path={self.path}, shape={shape}, dtype={self.dtype.name}, "
            f"value={self.numpy()}>"
        )


def keras_variable(value, *, name, path, **kwargs) -> KerasVariable:
    """A ``KerasVariable`` named ``name`` at ``path`` (other arguments: ``tf.Variable``'s)."""
    var = KerasVariable(value, name=path, **kwargs)
    var._keras_name = name
    var.path = path
    return var
