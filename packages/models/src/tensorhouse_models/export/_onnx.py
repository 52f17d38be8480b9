"""ONNX export: a traced graph's TF ops translated one by one into ONNX nodes.

The function (a Keras model's inference call, a ``tf.function`` or a ``ConcreteFunction``) is
traced; its graph's ops, by TF op type, become ONNX nodes. Variables and constants become
initializers (the values at export time). NHWC convolutions and pools are wrapped in
transposes (ONNX's ``Conv`` / pools are NCHW); shapes known only at run time (a ``None``
batch) are computed in the ONNX graph from ``Shape`` nodes, so the file takes any batch size;
``If`` / ``While`` become ONNX ``If`` / ``Loop`` with their bodies as subgraphs.
An op type without a translation raises ``NotImplementedError`` naming it.
"""

from __future__ import annotations

import os
import uuid

import numpy as np

from tensorhouse_components import layers as layers_module
from tensorhouse_components import ops

__all__ = ["to_onnx"]

DEFAULT_OPSET = 17
_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min

_UNARY = {
    "Identity": "Identity", "Neg": "Neg", "Exp": "Exp", "Log": "Log", "Sqrt": "Sqrt",
    "Reciprocal": "Reciprocal", "Abs": "Abs", "Tanh": "Tanh", "Sigmoid": "Sigmoid",
    "Relu": "Relu", "Elu": "Elu", "Selu": "Selu", "Softplus": "Softplus",
    "Softsign": "Softsign", "Erf": "Erf", "Floor": "Floor", "Ceil": "Ceil", "Sign": "Sign",
    "Sin": "Sin", "Cos": "Cos", "LogicalNot": "Not", "StopGradient": "Identity",
    "Round": "Round", "IsNan": "IsNaN",
}  # fmt: skip
_BINARY = {
    "AddV2": "Add", "Add": "Add", "Sub": "Sub", "Mul": "Mul", "RealDiv": "Div", "Div": "Div",
    "Maximum": "Max", "Minimum": "Min", "Pow": "Pow", "Greater": "Greater",
    "GreaterEqual": "GreaterOrEqual", "Less": "Less", "LessEqual": "LessOrEqual",
    "Equal": "Equal", "LogicalAnd": "And", "LogicalOr": "Or",
}  # fmt: skip
_REDUCE = {"Sum": "ReduceSum", "Mean": "ReduceMean", "Max": "ReduceMax", "Min": "ReduceMin",
           "Prod": "ReduceProd"}  # fmt: skip


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "ONNX export needs the onnx package: pip install 'tensorhouse[onnx]' (or onnx)"
        ) from None
    return onnx


class _Converter:
    def __init__(self, onnx, opset, parent=None):
        self.onnx = onnx
        self.h = onnx.helper
        self.opset = opset
        self.parent = parent  # a branch / loop body converter's enclosing converter
        self.nodes = []
        self.inits = []
        self.names = {}  # id(graph tensor) -> ONNX name
        self.count = 0

    # ---- helpers ------------------------------------------------------------------------
    def fresh(self, base="t"):
        if self.parent is not None:  # names are unique across the nested graphs
            return self.parent.fresh(base)
        self.count += 1
        return f"{base}__{self.count}"

    def const(self, value, base="const"):
        name = self.fresh(base)
        tensor = self.onnx.numpy_helper.from_array(np.asarray(value), name)
        if self.parent is None:
            self.inits.append(tensor)
        else:  # inside a subgraph: a Constant node
            self.nodes.append(self.h.make_node("Constant", [], [name], value=tensor))
        return name

    def ints(self, values):
        return self.const(np.asarray(values, np.int64), "ints")

    def node(self, op_type, inputs, n_out=1, **attrs):
        outs = [self.fresh(op_type) for _ in range(n_out)]
        self.nodes.append(self.h.make_node(op_type, list(inputs), outs, **attrs))
        return outs[0] if n_out == 1 else outs

    def onnx_dtype(self, np_dtype):
        return self.h.np_dtype_to_tensor_dtype(np.dtype(np_dtype))

    def transpose(self, x, perm):
        return self.node("Transpose", [x], perm=list(perm))

    # ---- the graph ----------------------------------------------------------------------
    def emit(self, graph, input_names):
        """Translate ``graph``'s ops with its placeholders named ``input_names``; returns the
        ONNX names of its outputs."""
        for t, name in zip(graph.inputs, input_names):
            self.names[id(t)] = name
        for op in graph.ops:
            if op.type == "Placeholder":
                continue
            outs = self.op(op, [self.names[id(t)] for t in op.inputs])
            if isinstance(outs, str):
                outs = [outs]
            for t, name in zip(op.outputs, outs):
                self.names[id(t)] = name
        return [self.names[id(t)] for t in graph.outputs]

    def convert(self, cf, input_names, output_names):
        g = cf.graph
        inputs = [self._value_info(name, t) for t, name in zip(g.inputs, input_names)]
        self.emit(g, input_names)
        outputs = []
        for t, name in zip(cf.outputs, output_names):
            self.nodes.append(self.h.make_node("Identity", [self.names[id(t)]], [name]))
            outputs.append(self._value_info(name, t))
        nodes, inits = self._live([o.name for o in outputs])
        graph = self.h.make_graph(nodes, cf.graph.name, inputs, outputs, inits)
        return self.h.make_model(
            graph,
            opset_imports=[self.h.make_opsetid("", self.opset)],
            producer_name="tensorhouse",
        )

    def _live(self, outputs):
        """The nodes and initializers the outputs depend on (dead traced ops dropped); a
        subgraph's references to outer names count as inputs of its node."""
        producer = {o: n for n in self.nodes for o in n.output}
        needed, stack, keep = set(), list(outputs), set()
        while stack:
            name = stack.pop()
            if name in needed:
                continue
            needed.add(name)
            n = producer.get(name)
            if n is not None and id(n) not in keep:
                keep.add(id(n))
                stack.extend(i for i in n.input if i)
                stack.extend(_subgraph_inputs(n))
        nodes = [n for n in self.nodes if id(n) in keep]
        return nodes, [i for i in self.inits if i.name in needed]

    def subgraph(self, graph, input_names, name, inputs=(), extra=None):
        """An ONNX subgraph of ``graph`` (an If branch or a loop body); ``extra(child, outs)``
        may add outputs first (a loop's condition)."""
        child = _Converter(self.onnx, self.opset, parent=self)
        outs = child.emit(graph, input_names)
        results = list(extra(child, outs)) if extra is not None else []
        results += [(o, t) for o, t in zip(outs, graph.outputs)]
        out_infos = []
        for src, t in results:
            dst = self.fresh(name + "_out")
            child.nodes.append(self.h.make_node("Identity", [src], [dst]))
            out_infos.append(self._value_info(dst, t, symbolic=False))
        return self.h.make_graph(child.nodes, self.fresh(name), list(inputs), out_infos)

    def _value_info(self, name, t, symbolic=True):
        dims = [d if d is not None or not symbolic else f"{name}_dim{i}"
                for i, d in enumerate(t.shape)]  # fmt: skip
        return self.h.make_tensor_value_info(name, self.onnx_dtype(t.dtype.as_numpy_dtype), dims)

    def op(self, op, ins):
        t, a = op.type, op.attrs
        if t == "Const":
            return self.const(a["value"].numpy(), "const")
        if t == "ReadVariableOp":
            return self.const(np.asarray(a["var"].numpy()), "var")
        if t in _UNARY:
            return self.node(_UNARY[t], ins)
        if t in _BINARY:
            return self.node(_BINARY[t], ins)
        method = getattr(self, "op_" + t, None)
        if method is None:
            raise NotImplementedError(
                f"ONNX export: no translation for TF op type '{t}' (op {op.name!r})"
            )
        return method(op, ins, a)

    # ---- elementwise ----------------------------------------------------------------------
    def op_NotEqual(self, op, ins, a):
        return self.node("Not", [self.node("Equal", ins)])

    def op_SquaredDifference(self, op, ins, a):
        d = self.node("Sub", ins)
        return self.node("Mul", [d, d])

    def op_Square(self, op, ins, a):
        return self.node("Mul", [ins[0], ins[0]])

    def op_Rsqrt(self, op, ins, a):
        return self.node("Reciprocal", [self.node("Sqrt", ins)])

    def op_Relu6(self, op, ins, a):
        dt = op.inputs[0].dtype.as_numpy_dtype
        return self.node("Clip", [ins[0], self.const(dt(0)), self.const(dt(6))])

    def op_LeakyRelu(self, op, ins, a):
        return self.node("LeakyRelu", ins, alpha=float(a.get("alpha", 0.2)))

    def op_SelectV2(self, op, ins, a):
        return self.node("Where", ins)

    op_Select = op_SelectV2

    def op_Cast(self, op, ins, a):
        return self.node("Cast", ins, to=self.onnx_dtype(a["DstT"]))

    def op_BiasAdd(self, op, ins, a):
        if a.get("data_format", "NHWC") not in ("NHWC", "NWC", "NDHWC"):
            return self._unsupported(op, "data_format " + str(a.get("data_format")))
        return self.node("Add", ins)

    def op_Softmax(self, op, ins, a):
        return self.node("Softmax", ins, axis=-1)

    def op_LogSoftmax(self, op, ins, a):
        return self.node("LogSoftmax", ins, axis=-1)

    def _unsupported(self, op, what):
        raise NotImplementedError(
            f"ONNX export: TF op type '{op.type}' with {what} (op {op.name!r})"
        )

    # ---- linear algebra ---------------------------------------------------------------------
    def _swap_last(self, x, rank):
        perm = list(range(rank))
        perm[-1], perm[-2] = perm[-2], perm[-1]
        return self.transpose(x, perm)

    def op_MatMul(self, op, ins, a):
        x, y = ins
        if a.get("transpose_a"):
            x = self._swap_last(x, 2)
        if a.get("transpose_b"):
            y = self._swap_last(y, 2)
        return self.node("MatMul", [x, y])

    def op_BatchMatMulV2(self, op, ins, a):
        x, y = ins
        if a.get("adj_x"):
            x = self._swap_last(x, len(op.inputs[0].shape))
        if a.get("adj_y"):
            y = self._swap_last(y, len(op.inputs[1].shape))
        return self.node("MatMul", [x, y])

    op_BatchMatMul = op_BatchMatMulV2

    def op_Einsum(self, op, ins, a):
        return self.node("Einsum", ins, equation=a["equation"])

    # ---- shapes -------------------------------------------------------------------------------
    def op_Reshape(self, op, ins, a):
        return self.node("Reshape", [ins[0], self.ints(a["shape"])])

    def op_Transpose(self, op, ins, a):
        return self.transpose(ins[0], a["perm"])

    def op_ConcatV2(self, op, ins, a):
        return self.node("Concat", ins, axis=int(a["axis"]))

    def op_Split(self, op, ins, a):
        axis, n = int(a["axis"]), int(a["num_split"])
        size = op.inputs[0].shape[axis]
        if size is None:
            return self._unsupported(op, "an unknown size on the split axis")
        return self.node("Split", [ins[0], self.ints([size // n] * n)], n_out=n, axis=axis)

    def op_Pad(self, op, ins, a):
        pads = np.asarray(a["paddings"], np.int64)
        dt = op.inputs[0].dtype.as_numpy_dtype
        value = self.const(np.asarray(a.get("constant_values", 0), dt))
        return self.node("Pad", [ins[0], self.ints(np.concatenate([pads[:, 0], pads[:, 1]])),
                                 value])  # fmt: skip

    def op_ReverseV2(self, op, ins, a):
        axis = a["axis"]
        axes = [int(axis)] if isinstance(axis, int) else [int(x) for x in axis]
        if not axes:
            return self.node("Identity", ins)
        n = len(axes)
        return self.node("Slice", [ins[0], self.ints([-1] * n), self.ints([_INT64_MIN] * n),
                                   self.ints(axes), self.ints([-1] * n)])  # fmt: skip

    def op_Tile(self, op, ins, a):
        return self.node("Tile", [ins[0], self.ints(a["multiples"])])

    def op_GatherV2(self, op, ins, a):
        if a.get("batch_dims", 0):
            return self._unsupported(op, "batch_dims")
        return self.node("Gather", ins, axis=int(a["axis"]))

    def op_Fill(self, op, ins, a):
        return self.const(np.full(a["shape"], a["value"], dtype=a["dtype"]), "fill")

    def op_Shape(self, op, ins, a):
        return self.node("Cast", [self.node("Shape", ins)], to=self.onnx_dtype(a["out_type"]))

    def op_Size(self, op, ins, a):
        return self.node("Cast", [self.node("Size", ins)], to=self.onnx_dtype(a["out_type"]))

    def op_DynamicShape(self, op, ins, a):
        parts = []
        for item in a["items"]:
            if isinstance(item, int):
                parts.append(self.ints([item]))
                continue
            kind, j, i = item
            if kind == "dim":
                parts.append(self.node("Shape", [ins[j]], start=i, end=i + 1))
            else:
                flat = self.node("Reshape", [ins[j], self.ints([-1])])
                elem = self.node("Slice", [flat, self.ints([i]), self.ints([i + 1])])
                parts.append(self.node("Cast", [elem], to=self.onnx_dtype(np.int64)))
        shape = self.node("Concat", parts, axis=0)
        base, n, target = dict(a["base"]), a["n"], a["op"]
        if target == "Reshape":
            return self.node("Reshape", [ins[0], shape])
        if target == "BroadcastTo":
            return self.node("Expand", [ins[0], shape])
        if target == "Fill" and n == 0:
            value = self.onnx.numpy_helper.from_array(np.asarray([base["value"]], base["dtype"]))
            return self.node("ConstantOfShape", [shape], value=value)
        return self._unsupported(op, f"a run-time shape for {target}")

    def op_StridedSlice(self, op, ins, a):
        rank = len(op.inputs[0].shape)
        begin, end, strides = list(a["begin"]), list(a["end"]), list(a["strides"])
        bits = {k: int(a.get(k, 0)) for k in ("begin_mask", "end_mask", "ellipsis_mask",
                                              "new_axis_mask", "shrink_axis_mask")}  # fmt: skip
        consumed = sum(1 for k in range(len(begin))
                       if not (bits["new_axis_mask"] >> k) & 1
                       and not (bits["ellipsis_mask"] >> k) & 1)  # fmt: skip
        starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
        in_axis = out_axis = 0
        for k in range(len(begin)):
            if (bits["ellipsis_mask"] >> k) & 1:
                full = rank - consumed
                in_axis += full
                out_axis += full
                continue
            if (bits["new_axis_mask"] >> k) & 1:
                unsqueeze.append(out_axis)
                out_axis += 1
                continue
            b, e, s = int(begin[k]), int(end[k]), int(strides[k])
            if (bits["shrink_axis_mask"] >> k) & 1:
                starts.append(b)
                ends.append(b + 1 if b != -1 else _INT64_MAX)
                steps.append(1)
                axes.append(in_axis)
                squeeze.append(in_axis)
                in_axis += 1
                continue
            if (bits["begin_mask"] >> k) & 1:
                b = 0 if s > 0 else _INT64_MAX
            if (bits["end_mask"] >> k) & 1:
                e = _INT64_MAX if s > 0 else _INT64_MIN
            starts.append(b)
            ends.append(e)
            steps.append(s)
            axes.append(in_axis)
            in_axis += 1
            out_axis += 1
        x = ins[0]
        if axes:
            x = self.node("Slice", [x, self.ints(starts), self.ints(ends), self.ints(axes),
                                    self.ints(steps)])  # fmt: skip
        if squeeze:
            x = self.node("Squeeze", [x, self.ints(squeeze)])
        if unsqueeze:
            x = self.node("Unsqueeze", [x, self.ints(unsqueeze)])
        return x if (axes or squeeze or unsqueeze) else self.node("Identity", [x])

    # ---- control flow ---------------------------------------------------------------------
    def op_StatelessIf(self, op, ins, a):
        then, other = a["then_branch"], a["else_branch"]
        nt = len(then.inputs)
        then_g = self.subgraph(then, ins[1 : 1 + nt], "then")
        else_g = self.subgraph(other, ins[1 + nt :], "else")
        n = len(op.outputs)
        out = self.node("If", [ins[0]], n_out=n, then_branch=then_g, else_branch=else_g)
        return [out] if n == 1 else out

    op_If = op_StatelessIf

    def op_StatelessWhile(self, op, ins, a):
        cond, body, n = a["cond"], a["body"], a["num_loop_vars"]
        nc = len(cond.inputs) - n
        init, cond_caps, body_caps = ins[:n], ins[n : n + nc], ins[n + nc :]
        first = _Converter(self.onnx, self.opset, parent=self)  # the condition before the loop
        (go,) = [x for x in first.emit(cond, init + cond_caps)]
        self.nodes.extend(first.nodes)
        it, cond_in = self.fresh("iter"), self.fresh("cond_in")
        carried = [self.fresh("loop_var") for _ in range(n)]
        infos = [
            self.h.make_tensor_value_info(it, self.onnx.TensorProto.INT64, []),
            self.h.make_tensor_value_info(cond_in, self.onnx.TensorProto.BOOL, []),
        ]
        infos += [self._value_info(c, t, symbolic=False) for c, t in zip(carried, body.inputs)]

        def next_cond(child, outs):
            again = _Converter(self.onnx, self.opset, parent=child)
            (c,) = again.emit(cond, list(outs) + cond_caps)
            child.nodes.extend(again.nodes)
            return [(c, cond.outputs[0])]

        body_g = self.subgraph(body, carried + body_caps, "body", infos, next_cond)
        limit = a.get("maximum_iterations")
        trip = self.ints(int(limit)) if limit is not None else ""
        out = self.node("Loop", [trip, go, *init], n_out=n, body=body_g)
        return [out] if n == 1 else out

    op_While = op_StatelessWhile

    # ---- reductions -----------------------------------------------------------------------
    # ---- tensorhouse's fused recurrent ops (LSTMSequence / GRUSequence), unrolled -----------
    def _rnn_steps(self, op, x):
        """``x`` [batch, time, features] as [batch, features] slices in processing order."""
        steps = op.inputs[0].shape[1]
        if not steps:
            return self._unsupported(op, "an unknown or zero number of steps")
        order = range(steps - 1, -1, -1) if op.attrs.get("go_backwards") else range(steps)
        return [self.node("Gather", [x, self.const(np.int64(t))], axis=1) for t in order]

    def _rnn_masks(self, op, ins, index):
        """The optional mask input (``index``) as one [batch, 1] column per step, or Nones."""
        steps = op.inputs[0].shape[1]
        if len(ins) <= index:
            return [None] * steps
        mask = ins[index]
        order = range(steps - 1, -1, -1) if op.attrs.get("go_backwards") else range(steps)
        return [self.node("Gather", [mask, self.const(np.int64([t]))], axis=1) for t in order]

    def _rnn_keep(self, m, new, old, one):
        """``new`` where the step is not masked, else ``old``."""
        if m is None:
            return new
        return self.node("Add", [self.node("Mul", [m, new]),
                                 self.node("Mul", [self.node("Sub", [one, m]), old])])  # fmt: skip

    def _rnn_outputs(self, hs):
        return self.node("Concat", [self.node("Unsqueeze", [h, self.ints([1])]) for h in hs],
                         axis=1)  # fmt: skip

    def op_LSTMSequence(self, op, ins, a):
        x, h, c, w, r, b = ins[:6]
        u = op.inputs[4].shape[0]
        one = self.const(np.asarray(1, op.inputs[0].dtype.as_numpy_dtype))
        hs = []
        for xt, m in zip(self._rnn_steps(op, x), self._rnn_masks(op, ins, 6)):
            z = self.node("Add", [self.node("Add", [self.node("MatMul", [xt, w]),
                                                    self.node("MatMul", [h, r])]), b])  # fmt: skip
            zi, zf, zg, zo = self.node("Split", [z, self.ints([u] * 4)], n_out=4, axis=1)
            i, f, o = (self.node("Sigmoid", [v]) for v in (zi, zf, zo))
            c_new = self.node("Add", [self.node("Mul", [f, c]),
                                      self.node("Mul", [i, self.node("Tanh", [zg])])])  # fmt: skip
            h_new = self.node("Mul", [o, self.node("Tanh", [c_new])])
            c, h = self._rnn_keep(m, c_new, c, one), self._rnn_keep(m, h_new, h, one)
            hs.append(h)
        return [self._rnn_outputs(hs), h, c]  # the saved gates feed only gradients

    def op_GRUSequence(self, op, ins, a):
        x, h, w, r, b = ins[:5]
        u = op.inputs[3].shape[0]
        after = a.get("reset_after", True)
        one = self.const(np.asarray(1, op.inputs[0].dtype.as_numpy_dtype))
        if after:
            b_in, b_rec = (
                self.node("Gather", [b, self.const(np.int64(k))], axis=0) for k in (0, 1)
            )
        else:
            b_in = b
            r_zr, r_h = self.node("Split", [r, self.ints([2 * u, u])], n_out=2, axis=1)
        hs = []
        for xt, m in zip(self._rnn_steps(op, x), self._rnn_masks(op, ins, 5)):
            xp = self.node("Add", [self.node("MatMul", [xt, w]), b_in])
            xz, xr, xh = self.node("Split", [xp, self.ints([u] * 3)], n_out=3, axis=1)
            if after:
                rp = self.node("Add", [self.node("MatMul", [h, r]), b_rec])
                rz, rr, rh = self.node("Split", [rp, self.ints([u] * 3)], n_out=3, axis=1)
            else:
                rz, rr = self.node("Split", [self.node("MatMul", [h, r_zr]), self.ints([u, u])],
                                   n_out=2, axis=1)  # fmt: skip
            z = self.node("Sigmoid", [self.node("Add", [xz, rz])])
            rg = self.node("Sigmoid", [self.node("Add", [xr, rr])])
            if after:
                cand = self.node("Mul", [rg, rh])
            else:
                cand = self.node("MatMul", [self.node("Mul", [rg, h]), r_h])
            hh = self.node("Tanh", [self.node("Add", [xh, cand])])
            keep = self.node("Mul", [self.node("Sub", [one, z]), hh])
            h_new = self.node("Add", [self.node("Mul", [z, h]), keep])
            h = self._rnn_keep(m, h_new, h, one)
            hs.append(h)
        return [self._rnn_outputs(hs), h]

    def _reduce(self, op, ins, a, onnx_op):
        axis = a.get("axis")
        keep = int(bool(a.get("keep_dims", False)))
        if axis is None:
            return self.node(onnx_op, [ins[0]], keepdims=keep)
        axes = [int(axis)] if isinstance(axis, int) else [int(x) for x in axis]
        if onnx_op == "ReduceSum" or self.opset >= 18:
            return self.node(onnx_op, [ins[0], self.ints(axes)], keepdims=keep)
        return self.node(onnx_op, [ins[0]], axes=axes, keepdims=keep)

    def op_Sum(self, op, ins, a):
        return self._reduce(op, ins, a, "ReduceSum")

    def op_Mean(self, op, ins, a):
        return self._reduce(op, ins, a, "ReduceMean")

    def op_Max(self, op, ins, a):
        return self._reduce(op, ins, a, "ReduceMax")

    def op_Min(self, op, ins, a):
        return self._reduce(op, ins, a, "ReduceMin")

    def op_Prod(self, op, ins, a):
        return self._reduce(op, ins, a, "ReduceProd")

    # ---- convolutions and pools (NHWC outside, NCHW inside) ----------------------------
    def _nchw(self, op, x, a):
        if a.get("data_format", "NHWC") != "NHWC":
            return self._unsupported(op, "data_format " + str(a.get("data_format")))
        return self.transpose(x, [0, 3, 1, 2])

    @staticmethod
    def _auto_pad(padding):
        return {"SAME": "SAME_UPPER", "VALID": "VALID"}[padding]

    def op_Conv2D(self, op, ins, a):
        if a["padding"] not in ("SAME", "VALID"):
            return self._unsupported(op, f"padding {a['padding']!r}")
        x = self._nchw(op, ins[0], a)
        w = self.transpose(ins[1], [3, 2, 0, 1])
        kh, kw = op.inputs[1].shape[:2]
        y = self.node("Conv", [x, w], strides=list(a["strides"][1:3]),
                      dilations=list(a.get("dilations", [1, 1, 1, 1])[1:3]),
                      kernel_shape=[kh, kw], auto_pad=self._auto_pad(a["padding"]))  # fmt: skip
        return self.transpose(y, [0, 2, 3, 1])

    def op_DepthwiseConv2dNative(self, op, ins, a):
        if a["padding"] not in ("SAME", "VALID"):
            return self._unsupported(op, f"padding {a['padding']!r}")
        kh, kw, cin, mult = op.inputs[1].shape
        x = self._nchw(op, ins[0], a)
        w = self.node("Reshape", [ins[1], self.ints([kh, kw, 1, cin * mult])])
        w = self.transpose(w, [3, 2, 0, 1])
        y = self.node("Conv", [x, w], strides=list(a["strides"][1:3]), group=cin,
                      dilations=list(a.get("dilations", [1, 1, 1, 1])[1:3]),
                      kernel_shape=[kh, kw], auto_pad=self._auto_pad(a["padding"]))  # fmt: skip
        return self.transpose(y, [0, 2, 3, 1])

    def _pool(self, op, ins, a, onnx_op):
        if a["padding"] not in ("SAME", "VALID"):
            return self._unsupported(op, f"padding {a['padding']!r}")
        x = self._nchw(op, ins[0], a)
        pad = self._auto_pad(a["padding"])
        y = self.node(onnx_op, [x], kernel_shape=list(a["ksize"][1:3]),
                      strides=list(a["strides"][1:3]), auto_pad=pad)  # fmt: skip
        return self.transpose(y, [0, 2, 3, 1])

    def op_MaxPool(self, op, ins, a):
        return self._pool(op, ins, a, "MaxPool")

    def op_AvgPool(self, op, ins, a):
        return self._pool(op, ins, a, "AveragePool")


def _subgraph_inputs(node):
    """The names a node's subgraphs (If branches, Loop bodies) read, recursively."""
    names = []
    for attr in node.attribute:
        if attr.HasField("g"):
            for n in attr.g.node:
                names.extend(i for i in n.input if i)
                names.extend(_subgraph_inputs(n))
    return names


def _is_keras_model(x):
    return isinstance(x, layers_module.Layer)


def _concrete(model_or_function, input_signature):
    x = model_or_function
    if isinstance(x, ops.ConcreteFunction):
        return x
    if _is_keras_model(x):
        from ..saving._saved_model import _keras_input_signature

        sig = input_signature if input_signature is not None else _keras_input_signature(x)

        def serve(inputs):
            return x(inputs, training=False)

        return ops.function(serve, input_signature=list(sig)).get_concrete_function()
    if isinstance(x, ops.Function):
        if input_signature is not None:
            return x.get_concrete_function(*input_signature)
        if x.input_signature is None:
            raise ValueError(
                "to_onnx needs an input_signature for a tf.function traced without one"
            )
        return x.get_concrete_function()
    if callable(x) and input_signature is not None:
        return ops.function(x, input_signature=list(input_signature)).get_concrete_function()
    raise TypeError(
        "to_onnx expects a Keras model, a tf.function, a ConcreteFunction or a callable with an "
        f"input_signature; got {type(x).__name__}"
    )


def to_onnx(model_or_function, path, input_signature=None, opset=DEFAULT_OPSET):
    """Write a Keras model or a tf.function as an ONNX file at ``path`` (returns the
    ``onnx.ModelProto``); inputs are named as their TensorSpecs (else ``input_<i>``),
    outputs ``output_<i>``."""
    onnx = _onnx()
    if not isinstance(opset, int) or opset < 13:
        raise ValueError(f"opset must be an int >= 13, got {opset!r}")
    cf = _concrete(model_or_function, input_signature)
    specs = ops.nest.flatten(list(cf.structured_input_signature))
    specs = [s for s in specs if isinstance(s, ops.TensorSpec | ops.Tensor)]
    names = []
    for i, s in enumerate(specs):
        name = getattr(s, "name", None) if isinstance(s, ops.TensorSpec) else None
        names.append(name if name and name not in names else f"input_{i}")
    outs = [f"output_{i}" for i in range(len(cf.outputs))]
    model = _Converter(onnx, opset).convert(cf, names, outs)
    onnx.checker.check_model(model)
    path = os.fspath(path)
    tmp = f"{path}.tmp-{uuid.uuid4().hex}"
    try:
        onnx.save_model(model, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return model
