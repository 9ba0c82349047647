"""Rewrite a generator's ONNX graph so that it does only the network's work (ONNX -> ONNX).

tf2onnx turns the Keras U-Net into a graph that spends much of its time moving data: Keras'
nearest ``UpSampling2D`` is ``tf.repeat``, exported as Unsqueeze/Tile/Reshape chains with their
own Shape/Slice/Concat arithmetic, and the NHWC <-> NCHW transposes around each convolution stay
because the chains block tf2onnx's transpose optimizer. ``clean_generator`` rewrites it:

1. **Upsampling**: each repeat chain becomes one ``Resize`` (nearest). A chain is recognised by
   its shape (Unsqueeze -> Tile -> [Transpose] -> Reshape) and accepted only when running the
   original graph shows its output to be exactly a repeat of its input (which axes, which layout),
   so an unfamiliar graph is left as it is, never changed wrongly.
2. **Layout**: channels-first inside, one Transpose in (NHWC -> NCHW) and one out. Every 4-D
   tensor's layout is followed through the graph; transposes become bookkeeping, and the ops
   between (Pad, Resize, Concat, activations, element-wise arithmetic with constants) are
   re-emitted on the channels-first tensor with their axes, pads and scales permuted.
   Unknown ops get their input in the layout they expect (correct, just not clean).
3. **Resize-convolution as sub-pixel convolution**: nearest x2 -> pad 1 (reflect or zero) ->
   3x3 convolution equals, exactly, a 2x2 convolution with four output phases on the small
   tensor padded by 1 (reflect padding of a nearest-upsampled tensor is edge padding of the small
   one), interleaved by ``DepthToSpace`` and cropped by one pixel: 4/9 of the multiply-adds, no
   Resize, and the padding moves to the 4x smaller tensor. The 2x2 kernels are derived from the
   stored 3x3 kernel inside the graph (Cast, MatMul by a 0/1 matrix, Reshape, Transpose), which
   onnxruntime's constant folding evaluates once when the session loads: float16 *storage* stays
   exact and nothing is re-cast per run. Reflect padding of the down-sampling convolutions stays
   a Pad: at a border its values are the input's own, which a convolution's zero padding cannot
   express.

The caller judges the result: ``python -m export`` against Keras (max |diff| <= 1e-4), the
shipped-model rewrite (``python -m export clean``, export/rewrite.py) against the original ONNX file.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

IDENTITY = (0, 1, 2, 3)
NCHW_TO_NHWC = (0, 2, 3, 1)

# Ops that keep the layout of their (single tensor) input.
_UNARY = {"Relu", "LeakyRelu", "Tanh", "Sigmoid", "Sqrt", "Reciprocal", "Neg", "Exp", "Log", "Abs",
          "Identity", "Erf", "Softplus", "Elu", "Selu", "HardSigmoid", "Clip", "Cast", "Floor", "Ceil"}
_BINARY = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "PRelu"}
# Activations that commute with DepthToSpace and a crop: moved next to the convolution, where
# onnxruntime fuses them into it.
_FUSABLE_ACTIVATIONS = {"Relu", "LeakyRelu", "Tanh", "Sigmoid", "Clip", "HardSigmoid"}


class CleanError(RuntimeError):
    """The graph cannot be rewritten (not a generator this module understands)."""


@dataclass
class CleanReport:
    """What the rewrite did, for the export log and the tests."""

    upsamplings: int = 0  # repeat chains folded into one Resize each
    merged_resizes: int = 0  # consecutive Resizes (H then W) merged
    subpixel: int = 0  # resize-convolutions turned into sub-pixel convolutions
    ops_before: Counter = field(default_factory=Counter)
    ops_after: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        def ops(c: Counter) -> str:
            return ", ".join(f"{n} {op}" for op, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))

        lines = [f"  nodes {sum(self.ops_before.values())} -> {sum(self.ops_after.values())}: "
                 f"{self.upsamplings} repeat chains -> Resize, {self.subpixel} resize-convolutions -> "
                 "sub-pixel convolutions",
                 f"  before: {ops(self.ops_before)}", f"  after:  {ops(self.ops_after)}"]
        lines += [f"  left as it was: {s}" for s in self.skipped]
        return "\n".join(lines)


# --- a small mutable view of a graph -----------------------------------------------------------

class _Graph:
    def __init__(self, model: onnx.ModelProto):
        self.model = model
        g = model.graph
        self.nodes: list[onnx.NodeProto] = list(g.node)
        self.inits: dict[str, TensorProto] = {t.name: t for t in g.initializer}
        self.input_names = [i.name for i in g.input if i.name not in self.inits]
        self.output_names = [o.name for o in g.output]
        self._counter = itertools.count()

    def fresh(self, stem: str) -> str:
        taken = True
        while taken:
            name = f"{stem}__{next(self._counter)}"
            taken = name in self.inits or any(name in n.output for n in self.nodes)
        return name

    def producers(self) -> dict[str, onnx.NodeProto]:
        return {o: n for n in self.nodes for o in n.output}

    def consumers(self) -> dict[str, list[onnx.NodeProto]]:
        out: dict[str, list[onnx.NodeProto]] = {}
        for n in self.nodes:
            for i in n.input:
                if i:
                    out.setdefault(i, []).append(n)
        return out

    def constant(self, name: str, producers: dict[str, onnx.NodeProto] | None = None) -> np.ndarray | None:
        """The value of an initializer, or of a Cast / Constant node reading only constants."""
        if name in self.inits:
            return numpy_helper.to_array(self.inits[name])
        producers = self.producers() if producers is None else producers
        node = producers.get(name)
        if node is None:
            return None
        if node.op_type == "Constant":
            return numpy_helper.to_array(node.attribute[0].t) if node.attribute[0].name == "value" else None
        if node.op_type == "Cast":
            value = self.constant(node.input[0], producers)
            if value is None:
                return None
            to = helper.get_attribute_value(node.attribute[0])
            return value.astype(helper.tensor_dtype_to_np_dtype(to))
        return None

    def add_init(self, stem: str, value: np.ndarray) -> str:
        name = self.fresh(stem)
        self.inits[name] = numpy_helper.from_array(np.ascontiguousarray(value), name)
        return name

    def add_const_like(self, source: str, value: np.ndarray, stem: str,
                       producers: dict[str, onnx.NodeProto] | None = None) -> str:
        """A constant holding ``value``, stored like ``source``: float16 storage + Cast stays so."""
        node = (self.producers() if producers is None else producers).get(source)
        if node is not None and node.op_type == "Cast" and node.input[0] in self.inits:
            stored = self.inits[node.input[0]]
            raw = self.add_init(f"{stem}_stored", value.astype(helper.tensor_dtype_to_np_dtype(stored.data_type)))
            out = self.fresh(stem)
            self.nodes.append(helper.make_node("Cast", [raw], [out], to=helper.get_attribute_value(node.attribute[0])))
            return out
        return self.add_init(stem, value)

    def finish(self, opset: int) -> onnx.ModelProto:
        """Dead nodes and unused initializers removed, nodes in topological order."""
        producers = self.producers()
        live: set[int] = set()
        stack = [producers[o] for o in self.output_names if o in producers]
        while stack:
            node = stack.pop()
            if id(node) in live:
                continue
            live.add(id(node))
            stack.extend(producers[i] for i in node.input if i in producers)
        kept = [n for n in self.nodes if id(n) in live]
        order = _topological(kept, set(self.input_names) | set(self.inits))
        g = self.model.graph
        g.ClearField("node")
        g.node.extend(order)
        used = {i for n in order for i in n.input}
        g.ClearField("initializer")
        g.initializer.extend(t for name, t in self.inits.items() if name in used)
        g.ClearField("value_info")
        inputs = [i for i in g.input if i.name not in self.inits or i.name in used]
        g.ClearField("input")
        g.input.extend(inputs)
        for imp in self.model.opset_import:
            if imp.domain in ("", "ai.onnx") and imp.version < opset:
                imp.version = opset
        return self.model


def _topological(nodes: list[onnx.NodeProto], available: set[str]) -> list[onnx.NodeProto]:
    ready = set(available) | {""}
    pending = list(nodes)
    order = []
    while pending:
        rest = []
        for node in pending:
            if all(i in ready for i in node.input):
                order.append(node)
                ready.update(node.output)
            else:
                rest.append(node)
        if len(rest) == len(pending):
            missing = sorted({i for n in rest for i in n.input if i not in ready})[:5]
            raise CleanError(f"the rewritten graph is not connected (inputs never produced: {missing})")
        pending = rest
    return order


def _attr(node: onnx.NodeProto, name: str, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _compose(outer: tuple[int, ...], inner: tuple[int, ...]) -> tuple[int, ...]:
    """transpose(transpose(a, outer), inner) == transpose(a, _compose(outer, inner))."""
    return tuple(outer[i] for i in inner)


def _inverse(perm: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argsort(perm))


# --- probing: the original graph's intermediate values on one input ----------------------------

def probe_values(model: onnx.ModelProto, x: np.ndarray, names: set[str]) -> dict[str, np.ndarray]:
    """Run ``model`` on ``x`` (its first input) with onnxruntime, returning the named tensors."""
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    typed = {v.name: v.type.tensor_type.elem_type for v in onnx.shape_inference.infer_shapes(probe).graph.value_info}
    present = {o.name for o in probe.graph.output}
    wanted = sorted(n for n in names if n not in present and n in typed)
    for name in wanted:
        probe.graph.output.append(helper.make_tensor_value_info(name, typed[name], None))
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # see every tensor
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feed_name = [i.name for i in probe.graph.input if i.name not in {t.name for t in probe.graph.initializer}][0]
    outputs = session.run(None, {feed_name: x})
    return {o.name: v for o, v in zip(session.get_outputs(), outputs, strict=True) if o.name in names}


# --- 1. repeat chains -> Resize -----------------------------------------------------------------

def _repeat_chains(g: _Graph) -> list[tuple[str, list[onnx.NodeProto], str]]:
    """(input, data-path nodes, output) of each Unsqueeze -> Tile -> [Transpose] -> Reshape chain."""
    producers, consumers = g.producers(), g.consumers()
    chains = []
    for tile in g.nodes:
        if tile.op_type != "Tile":
            continue
        unsqueeze = producers.get(tile.input[0])
        if unsqueeze is None or unsqueeze.op_type != "Unsqueeze" or len(consumers.get(unsqueeze.output[0], [])) != 1:
            continue
        path, current = [unsqueeze, tile], tile
        nxt = consumers.get(current.output[0], [])
        if len(nxt) == 1 and nxt[0].op_type == "Transpose":
            path.append(nxt[0])
            current = nxt[0]
            nxt = consumers.get(current.output[0], [])
        if len(nxt) != 1 or nxt[0].op_type != "Reshape" or nxt[0].input[0] != current.output[0]:
            continue
        path.append(nxt[0])
        chains.append((unsqueeze.input[0], path, nxt[0].output[0]))
    return chains


def _explain_repeat(x: np.ndarray, y: np.ndarray) -> tuple[tuple[float, ...], tuple[int, ...]] | None:
    """(scales, perm) with y == transpose(nearest-upsample(x, scales), perm), if exactly one fits."""
    if x.ndim != 4 or y.ndim != 4:
        return None
    found = []
    for perm in itertools.permutations(range(4)):
        for factors in itertools.product((1, 2), repeat=4):
            if factors == (1, 1, 1, 1):
                continue
            shape = tuple(x.shape[i] * factors[i] for i in range(4))
            if tuple(shape[p] for p in perm) != y.shape:
                continue
            up = x
            for axis, f in enumerate(factors):
                if f > 1:
                    up = np.repeat(up, f, axis=axis)
            if np.array_equal(np.transpose(up, perm), y):
                found.append((tuple(float(f) for f in factors), tuple(perm)))
    return found[0] if len(found) == 1 else None


def fold_repeat_upsampling(g: _Graph, values: dict[str, np.ndarray], report: CleanReport) -> None:
    for start, path, end in _repeat_chains(g):
        explained = _explain_repeat(values.get(start), values.get(end)) if start in values and end in values else None
        if explained is None:
            report.skipped.append(f"a Tile chain ending in {end} (not a nearest repeat on the probe input)")
            continue
        scales, perm = explained
        for node in path:
            g.nodes.remove(node)
        scales_name = g.add_init("upsample_scales", np.array(scales, np.float32))
        resized = end if perm == IDENTITY else g.fresh(f"{end}_resized")
        g.nodes.append(helper.make_node("Resize", [start, "", scales_name], [resized], mode="nearest",
                                        coordinate_transformation_mode="asymmetric", nearest_mode="floor",
                                        name=g.fresh("upsample")))
        if perm != IDENTITY:
            g.nodes.append(helper.make_node("Transpose", [resized], [end], perm=list(perm)))
        report.upsamplings += 1


# --- 2. channels-first inside -------------------------------------------------------------------

def normalize_layout(g: _Graph, input_perm: tuple[int, ...] = NCHW_TO_NHWC) -> None:
    """Re-emit the graph channels-first: one Transpose after the (NHWC) input, one before each
    output that needs it, none between. ``input_perm``: the input's layout relative to NCHW."""
    old_nodes = g.nodes
    consts = {name for name in g.inits}
    old_producers = {o: n for n in old_nodes for o in n.output}
    # A Cast of an initializer is a constant too (float16 storage).
    for n in old_nodes:
        if n.op_type in ("Cast", "Constant") and all(i in consts for i in n.input):
            consts.update(n.output)

    def constant(name: str) -> np.ndarray | None:
        return g.constant(name, old_producers)

    new_nodes: list[onnx.NodeProto] = []
    name_of: dict[str, str] = {}  # old tensor -> tensor holding it in the new graph
    perm_of: dict[str, tuple[int, ...]] = {}  # old tensor == transpose(new tensor, perm)
    g.nodes = new_nodes  # add_const_like / fresh append here and look here

    def current(old: str) -> tuple[str, tuple[int, ...]]:
        return name_of.get(old, old), perm_of.get(old, IDENTITY)

    def materialized(old: str) -> str:
        """The tensor in its original layout (a Transpose where it is held otherwise)."""
        name, perm = current(old)
        if perm == IDENTITY:
            return name
        out = g.fresh(f"{old}_as_before")
        new_nodes.append(helper.make_node("Transpose", [name], [out], perm=list(perm)))
        name_of[old], perm_of[old] = out, IDENTITY
        return out

    def emit(node: onnx.NodeProto, inputs: list[str], perm: tuple[int, ...], **attrs) -> None:
        outputs = list(node.output)
        if perm != IDENTITY:
            outputs = [g.fresh(f"{o}_cf") for o in node.output]
        new = helper.make_node(node.op_type, inputs, outputs, name=node.name, domain=node.domain or None)
        kept = [a for a in node.attribute if a.name not in attrs]
        new.attribute.extend(kept)
        for key, value in attrs.items():
            new.attribute.append(helper.make_attribute(key, value))
        new_nodes.append(new)
        for old, out in zip(node.output, outputs, strict=True):
            name_of[old], perm_of[old] = out, perm

    for name in g.input_names:
        if tuple(input_perm) == IDENTITY:
            continue
        cf = g.fresh(f"{name}_nchw")
        new_nodes.append(helper.make_node("Transpose", [name], [cf], perm=list(_inverse(input_perm))))
        name_of[name], perm_of[name] = cf, tuple(input_perm)

    for node in old_nodes:
        op = node.op_type
        ins = list(node.input)
        if op == "Transpose" and ins[0] not in consts and len(_attr(node, "perm", ())) == 4:
            name, perm = current(ins[0])  # a transpose is bookkeeping now
            name_of[node.output[0]], perm_of[node.output[0]] = name, _compose(perm, tuple(_attr(node, "perm")))
            continue
        tracked = [i for i in ins if i and i not in consts and perm_of.get(i, IDENTITY) != IDENTITY]
        if not tracked:  # nothing moved: the node as it was, reading the new names
            emit(node, [name_of.get(i, i) if i else "" for i in ins], IDENTITY)
            continue
        perm = perm_of[tracked[0]]
        if op in _UNARY and all(i in consts or not i for i in ins[1:]):
            emit(node, [name_of[ins[0]], *ins[1:]], perm)
            continue
        if op in _BINARY:
            acts = [i for i in ins if i not in consts]
            if all(perm_of.get(i, IDENTITY) == perm for i in acts):
                new_ins = []
                for i in ins:
                    if i in consts:
                        value = constant(i)
                        if value is None or value.ndim > 4:
                            break
                        if value.size > 1 and value.ndim > 0:
                            value4 = value.reshape((1,) * (4 - value.ndim) + value.shape)
                            moved = np.transpose(value4, _inverse(perm))
                            new_ins.append(g.add_const_like(i, moved, f"{i}_cf", old_producers))
                        else:
                            new_ins.append(i)
                    else:
                        new_ins.append(name_of[i])
                else:
                    emit(node, new_ins, perm)
                    continue
        if op == "Concat" and all(i not in consts and perm_of.get(i, IDENTITY) == perm for i in ins):
            axis = _attr(node, "axis") % 4
            emit(node, [name_of[i] for i in ins], perm, axis=perm[axis])
            continue
        if op == "Pad" and (_attr(node, "mode", b"constant") in (b"reflect", b"edge", b"constant")):
            pads = constant(ins[1]) if len(ins) > 1 else None
            if pads is not None and pads.size == 8 and (len(ins) < 4 or not ins[3]):
                new_pads = np.zeros(8, np.int64)
                for i in range(4):
                    new_pads[perm[i]], new_pads[4 + perm[i]] = pads[i], pads[4 + i]
                emit(node, [name_of[ins[0]], g.add_init("pads", new_pads), *ins[2:3]], perm)
                continue
        if op == "Resize" and len(ins) >= 3 and (len(ins) == 3 or not ins[3]):
            scales = constant(ins[2])
            if scales is not None and scales.size == 4 and (not ins[1] or constant(ins[1]) is not None):
                new_scales = np.zeros(4, np.float32)
                for i in range(4):
                    new_scales[perm[i]] = scales[i]
                roi = ins[1]
                r = constant(roi) if roi else None
                if r is not None and r.size == 8:
                    moved = np.zeros(8, r.dtype)
                    for i in range(4):
                        moved[perm[i]], moved[4 + perm[i]] = r[i], r[4 + i]
                    roi = g.add_init("roi", moved)
                emit(node, [name_of[ins[0]], roi, g.add_init("scales", new_scales)], perm)
                continue
        if op in ("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin") and _attr(node, "keepdims", 1) == 1 \
                and len(ins) == 1 and _attr(node, "axes") is not None:
            axes = [perm[a % 4] for a in _attr(node, "axes")]
            emit(node, [name_of[ins[0]]], perm, axes=sorted(axes))
            continue
        # Anything else (including channels-first ops) reads its inputs as they were.
        emit(node, [materialized(i) if i in perm_of else name_of.get(i, i) if i else "" for i in ins], IDENTITY)

    for out in g.output_names:
        name, perm = current(out)
        if perm == IDENTITY and name == out:
            continue
        if perm == IDENTITY:
            new_nodes.append(helper.make_node("Identity", [name], [out]))
        else:
            new_nodes.append(helper.make_node("Transpose", [name], [out], perm=list(perm)))
    _rename_transposes_into_outputs(g)


def _rename_transposes_into_outputs(g: _Graph) -> None:
    """Identity nodes feeding graph outputs: rename the producer's output instead."""
    for ident in [n for n in g.nodes if n.op_type == "Identity" and n.output[0] in g.output_names]:
        source = ident.input[0]
        producers = g.producers()
        if source not in producers or source in g.output_names or len(g.consumers().get(source, [])) != 1:
            continue
        producer = producers[source]
        producer.output[list(producer.output).index(source)] = ident.output[0]
        g.nodes.remove(ident)


def merge_resizes(g: _Graph, report: CleanReport) -> None:
    """Resize(nearest) -> Resize(nearest), the first read only by the second: one Resize."""
    changed = True
    while changed:
        changed = False
        producers, consumers = g.producers(), g.consumers()
        for second in g.nodes:
            if second.op_type != "Resize" or not _is_floor_nearest(second):
                continue
            first = producers.get(second.input[0])
            if first is None or first.op_type != "Resize" or not _is_floor_nearest(first):
                continue
            if len(consumers.get(first.output[0], [])) != 1 or first.output[0] in g.output_names:
                continue
            s1, s2 = g.constant(first.input[2]), g.constant(second.input[2])
            if s1 is None or s2 is None or not _integer(s1) or not _integer(s2):
                continue
            second.input[0] = first.input[0]
            second.input[2] = g.add_init("upsample_scales", (s1 * s2).astype(np.float32))
            g.nodes.remove(first)
            report.merged_resizes += 1
            changed = True
            break


def _is_floor_nearest(node: onnx.NodeProto) -> bool:
    return (_attr(node, "mode", b"nearest") == b"nearest"
            and _attr(node, "coordinate_transformation_mode", b"half_pixel") == b"asymmetric"
            and _attr(node, "nearest_mode", b"round_prefer_floor") == b"floor"
            and len(node.input) >= 3 and bool(node.input[2]) and (len(node.input) == 3 or not node.input[3]))


def _integer(scales: np.ndarray) -> bool:
    return bool(np.all(scales >= 1) and np.all(scales == np.round(scales)))


# --- 3. resize-convolution -> sub-pixel convolution ----------------------------------------------

# Rows of the 3x3 kernel that each of the two 2x2 rows sums, per DepthToSpace slot (see
# _subpixel): slot 0 holds output phase 1 (rows i, i+1 of the small tensor), slot 1 phase 0.
_PHASE_ROWS = {0: ((0, 1), (2,)), 1: ((0,), (1, 2))}


def _subpixel_matrix() -> np.ndarray:
    """[9, 16] 0/1: 3x3 kernel taps (y*3+x) -> (slot s = 2a+b, p, q) of the 2x2 kernels."""
    m = np.zeros((9, 16), np.float32)
    for a, b, p, q in itertools.product(range(2), repeat=4):
        for y in _PHASE_ROWS[a][p]:
            for x in _PHASE_ROWS[b][q]:
                m[y * 3 + x, (2 * a + b) * 4 + p * 2 + q] = 1.0
    return m


def subpixel_convolutions(g: _Graph, report: CleanReport) -> None:
    """Resize x2 (nearest) -> Pad 1 (reflect/edge/zero) -> Conv 3x3: four-phase 2x2 Conv on the
    small tensor padded by 1 -> DepthToSpace -> crop 1.

    With E the small tensor S padded by one (edge for reflect: the reflection of a doubled pixel
    is the pixel itself), output row 2i = W0 E[i] + (W1 + W2) E[i+1] and row 2i+1 = (W0 + W1)
    E[i+1] + W2 E[i+2]: both 2x2 kernels applied to the same E, phase 0 at conv row i, phase 1 at
    conv row i+1. Placing phase 1 in DepthToSpace slot 0 and phase 0 in slot 1 makes output row y
    the interleaved row y + 1: one crop of a pixel on each side. Likewise for columns.
    """
    done = True
    while done:
        done = False
        producers, consumers = g.producers(), g.consumers()
        for conv in list(g.nodes):
            match = _match_resize_conv(g, conv, producers, consumers)
            if match is None:
                continue
            resize, pad, pad_mode = match
            _subpixel(g, conv, resize, pad, pad_mode, consumers)
            report.subpixel += 1
            done = True
            break


def _match_resize_conv(g: _Graph, conv, producers, consumers):
    if conv.op_type != "Conv" or len(conv.input) < 2:
        return None
    if (_attr(conv, "group", 1) != 1 or list(_attr(conv, "strides", [1, 1])) != [1, 1]
            or list(_attr(conv, "dilations", [1, 1])) != [1, 1] or _attr(conv, "auto_pad", b"NOTSET") != b"NOTSET"):
        return None
    weights = g.constant(conv.input[1])
    if weights is None or weights.ndim != 4 or weights.shape[2:] != (3, 3):
        return None
    conv_pads = list(_attr(conv, "pads", [0, 0, 0, 0]))
    source = producers.get(conv.input[0])
    pad = None
    if conv_pads == [1, 1, 1, 1]:
        pad_mode = b"constant"
    elif conv_pads == [0, 0, 0, 0] and source is not None and source.op_type == "Pad":
        pad = source
        mode = _attr(pad, "mode", b"constant")
        pads = g.constant(pad.input[1]) if len(pad.input) > 1 else None
        value = g.constant(pad.input[2]) if len(pad.input) > 2 and pad.input[2] else np.zeros(1)
        if pads is None or list(pads) != [0, 0, 1, 1, 0, 0, 1, 1] or (len(pad.input) > 3 and pad.input[3]):
            return None
        if mode in (b"reflect", b"edge"):
            pad_mode = b"edge"
        elif mode == b"constant" and value is not None and not np.any(value):
            pad_mode = b"constant"
        else:
            return None
        if len(consumers.get(pad.output[0], [])) != 1 or pad.output[0] in g.output_names:
            return None
        source = producers.get(pad.input[0])
    else:
        return None
    if source is None or source.op_type != "Resize" or not _is_floor_nearest(source):
        return None
    scales = g.constant(source.input[2])
    if scales is None or list(scales) != [1, 1, 2, 2]:
        return None
    resized = source.output[0]
    if len(consumers.get(resized, [])) != 1 or resized in g.output_names:
        return None
    return source, pad, pad_mode


def _subpixel(g: _Graph, conv, resize, pad, pad_mode: bytes, consumers) -> None:
    weights = g.constant(conv.input[1])
    out_c, in_c = weights.shape[:2]
    stem = conv.name or conv.output[0]
    small = resize.input[0]
    new: list[onnx.NodeProto] = []
    # Weights: [O, I, 3, 3] -> [O*I, 9] @ M[9, 16] -> [O, I, 4, 2, 2] -> [4, O, I, 2, 2] -> [4O, I, 2, 2]
    flat = g.fresh(f"{stem}_w9")
    new.append(helper.make_node("Reshape", [conv.input[1], g.add_init("shape", np.array([out_c * in_c, 9], np.int64))],
                                [flat]))
    phases = g.fresh(f"{stem}_w16")
    new.append(helper.make_node("MatMul", [flat, g.add_init("subpixel_taps", _subpixel_matrix())], [phases]))
    split = g.fresh(f"{stem}_w_split")
    new.append(helper.make_node("Reshape", [phases, g.add_init("shape", np.array([out_c, in_c, 4, 2, 2], np.int64))],
                                [split]))
    slots = g.fresh(f"{stem}_w_slots")
    new.append(helper.make_node("Transpose", [split], [slots], perm=[2, 0, 1, 3, 4]))
    kernel = g.fresh(f"{stem}_w2x2")
    new.append(helper.make_node("Reshape", [slots, g.add_init("shape", np.array([4 * out_c, in_c, 2, 2], np.int64))],
                                [kernel]))
    conv_inputs = [None, kernel]
    if len(conv.input) > 2 and conv.input[2]:
        bias = g.fresh(f"{stem}_b4")
        new.append(helper.make_node("Concat", [conv.input[2]] * 4, [bias], axis=0))
        conv_inputs.append(bias)
    padded = g.fresh(f"{stem}_small_padded")
    new.append(helper.make_node("Pad", [small, g.add_init("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))],
                                [padded], mode=pad_mode.decode()))
    conv_inputs[0] = padded
    phased = g.fresh(f"{stem}_phases")
    new.append(helper.make_node("Conv", conv_inputs, [phased], kernel_shape=[2, 2], name=g.fresh(stem)))
    final = conv.output[0]
    after = consumers.get(final, [])
    removed = [conv, resize] + ([pad] if pad is not None else [])
    if (len(after) == 1 and after[0].op_type in _FUSABLE_ACTIVATIONS and final not in g.output_names
            and all(g.constant(i) is not None for i in after[0].input[1:] if i)):
        act = after[0]
        activated = g.fresh(f"{stem}_phases_act")
        moved = helper.make_node(act.op_type, [phased, *act.input[1:]], [activated], name=act.name)
        moved.attribute.extend(act.attribute)
        new.append(moved)
        phased, final = activated, act.output[0]
        removed.append(act)
    interleaved = g.fresh(f"{stem}_interleaved")
    new.append(helper.make_node("DepthToSpace", [phased], [interleaved], blocksize=2, mode="DCR"))
    new.append(helper.make_node("Slice", [interleaved, g.add_init("starts", np.array([1, 1], np.int64)),
                                          g.add_init("ends", np.array([-1, -1], np.int64)),
                                          g.add_init("axes", np.array([2, 3], np.int64))], [final]))
    for node in removed:
        g.nodes.remove(node)
    g.nodes.extend(new)  # finish() puts the nodes in order


# --- the whole rewrite --------------------------------------------------------------------------

def clean_generator(model: onnx.ModelProto, probe_input: np.ndarray, *, subpixel: bool = True,
                    input_layout: str = "NHWC") -> tuple[onnx.ModelProto, CleanReport]:
    """The rewritten model (a copy) and what was done. ``probe_input``: one input the graph accepts
    (batch 1, H != W, e.g. 2 x 3 size multiples), used to confirm each upsampling chain."""
    if input_layout not in ("NHWC", "NCHW"):
        raise CleanError(f"input layout {input_layout!r}: NHWC or NCHW")
    work = onnx.ModelProto()
    work.CopyFrom(model)
    report = CleanReport(ops_before=Counter(n.op_type for n in work.graph.node))
    opset = max(imp.version for imp in work.opset_import if imp.domain in ("", "ai.onnx"))
    if opset < 13:
        raise CleanError(f"opset {opset}: the rewrite needs opset 13 or later (export uses 17)")
    g = _Graph(work)
    if len(g.input_names) != 1:
        raise CleanError(f"a generator has one input, this graph has {len(g.input_names)}")
    chains = _repeat_chains(g)
    wanted = {name for start, _, end in chains for name in (start, end)}
    values = probe_values(work, probe_input, wanted) if chains else {}
    fold_repeat_upsampling(g, values, report)
    work = g.finish(opset)
    g = _Graph(work)
    normalize_layout(g, NCHW_TO_NHWC if input_layout == "NHWC" else IDENTITY)
    work = g.finish(opset)
    g = _Graph(work)
    merge_resizes(g, report)
    if subpixel:
        subpixel_convolutions(g, report)
    work = g.finish(opset)
    work.graph.ClearField("value_info")
    onnx.checker.check_model(work)
    report.ops_after = Counter(n.op_type for n in work.graph.node)
    return work, report
