"""The fastest numerically equivalent form of a model graph, made once and cached.

The models Kinfolk runs are exported in forms that cost ONNX Runtime time on every ``run()``:

- **Weights computed at run time.** OpenCV Zoo's SFace int8 stores its weights block-quantized; each
  run dequantizes all 29 of them (DequantizeLinear + Reshape) before the fp32 convolutions, because
  its activations are fp32 (onnxruntime has no int8 kernel to fuse them into). Old exporters also
  declare every initializer as a graph input, which makes it *overridable*: onnxruntime then may not
  fold batch norms into the convolutions. ``fold_constants`` evaluates every node whose inputs are all
  constants once — with onnxruntime itself, so the numbers are the ones it computed on each run — and
  stores the results as fp32 initializers. Measured (1 thread, CPU): SFace int8 42 → 26 ms a face,
  embeddings within 2e-6 of the int8 graph's; YuNet int8 24 → 9.5 ms a 640×640 frame.
- **PRelu.** onnxruntime's CPU PRelu is slow for a per-channel slope and cannot join its blocked
  (NCHWc) convolution layout, so every PRelu also pays two layout conversions. ``split_prelu``
  writes ``PRelu(x, s)`` with operators that stay in that layout where onnxruntime has it (x86:
  ``blocked_layout()``): ``x + (1 − s) · Relu(−x)``, where ``Relu(−x)`` is a depthwise 1×1
  convolution by −1 with its Relu fused and ``(1 − s) · … + x`` a depthwise 1×1 convolution fused
  with the sum, so the whole network runs blocked with no reorder between layers (equal up to
  float rounding: ≤ 2e-6 on SFace's outputs). Elsewhere it writes ``Relu(x) + s · Min(x, 0)``
  (the same bits: for x > 0 x + s·0, for x ≤ 0 0 + s·x). Measured (1 thread, CPU a face, this
  x86 machine, batches of 4): SFace fp32 26 → 18 ms (Relu/Min) → 13 ms (blocked),
  MobileFaceNet-512 9.8 → 7.2 → 5.1 ms (docs/benchmarks.md).
- **A batch fixed to 1.** Most OpenCV Zoo and community exports declare input and output batch 1,
  and some reshape to ``(1, -1)`` before the output (faceplugin's MobileFaceNet). ``free_batch``
  declares the batch dimension free and turns such a ``Reshape(1, -1)`` into ``Reshape(0, -1)`` (0 =
  keep the input's batch), so many faces go through one run.

``fastest_form`` applies all three (the batch only for recognizers) and **checks the result against
the original graph** (batched runs against single runs of the original, on deterministic random
inputs in both usual input ranges, every output); a rewrite that changes any output is not used.
The checked graph is cached in the user's cache directory under the source file's sha256, so the
conversion (1–5 s) happens once per model file; weights are never shipped with Kinfolk. Embeddings
match the shipped graphs to cosine ≥ 0.9999998 on real faces (tests/integration/test_batching.py).

Needs the ``onnx`` package (protobuf model editing and serialisation of the folded tensors).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import onnx

log = logging.getLogger(__name__)

#: Bump when a rewrite changes, so caches made by an older version are not reused.
FORM_VERSION = 4
#: Least cosine between an original embedding and the rewritten graph's for the same input.
MIN_COSINE = 1 - 1e-5


@dataclass(frozen=True)
class GraphForm:
    """A model ready for onnxruntime: ``model`` (serialized bytes) and whether its batch is free."""

    model: bytes
    batched: bool
    note: str  # what was done, for the log


def default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("Kinfolk", appauthor=False)) / "graphs"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -------------------------------------------------------------------------------- the rewrites


def fold_constants(model: onnx.ModelProto) -> tuple[onnx.ModelProto, int]:
    """``model`` (an ``onnx.ModelProto``, changed in place and returned) with every node whose
    inputs are all constants replaced by its output, computed once by onnxruntime; initializers
    declared as graph inputs become plain initializers. Returns the number of nodes folded too."""
    from onnx import numpy_helper

    g = model.graph
    init_names = {i.name for i in g.initializer}
    const = set(init_names)
    folded = []
    for node in g.node:  # nodes are topologically sorted in a valid model
        if node.op_type == "Constant" or (node.input and all(not x or x in const for x in node.input)):
            folded.append(node)
            const.update(node.output)
    folded_ids = {id(n) for n in folded}
    kept = [n for n in g.node if id(n) not in folded_ids]
    used = {x for n in kept for x in n.input} | {o.name for o in g.output}
    needed = [x for n in folded for x in n.output if x in used]
    values: dict[str, npt.NDArray[np.generic]] = {}
    if needed:
        values = _evaluate(model, folded, needed)
    inputs = [i for i in g.input if i.name not in init_names]
    inits = [i for i in g.initializer if i.name in used and i.name not in values]
    inits += [numpy_helper.from_array(np.asarray(v, order="C"), name) for name, v in values.items()]
    del g.node[:]
    g.node.extend(kept)
    del g.initializer[:]
    g.initializer.extend(inits)
    del g.input[:]
    g.input.extend(inputs)
    del g.value_info[:]  # shapes of folded tensors are now initializers' own; onnxruntime re-infers
    if model.ir_version < 4:  # initializers need not be graph inputs from IR 4 on
        model.ir_version = 4
    return model, len(folded)


def _evaluate(model: onnx.ModelProto, nodes: list[onnx.NodeProto], outputs: list[str]
              ) -> dict[str, npt.NDArray[np.generic]]:
    """The values of ``outputs`` of the constant ``nodes``, computed by onnxruntime on CPU."""
    import onnx
    import onnxruntime as ort

    sub = onnx.ModelProto()
    sub.CopyFrom(model)
    g = sub.graph
    del g.node[:]
    g.node.extend(nodes)
    del g.input[:]
    del g.output[:]
    for name in outputs:
        g.output.append(onnx.ValueInfoProto(name=name))
    del g.value_info[:]
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(sub.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return dict(zip(outputs, sess.run(outputs, {})))


def split_prelu(model: onnx.ModelProto, blocked: bool = False) -> int:
    """Replace each ``PRelu(x, s)`` whose slope is an initializer by operators onnxruntime runs fast
    (see the module docstring): with ``blocked``, ``x + (1 − s) · Relu(−x)`` as two depthwise 1×1
    convolutions where the slope is per channel, the channels a multiple of 16 (the block of any
    x86 CPU) and ``x`` 4-D; otherwise ``Relu(x) + s · Min(x, 0)``. Changes ``model`` in place;
    returns how many."""
    from onnx import helper, numpy_helper

    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if opset < 8:  # Min broadcasts from opset 8 on
        return 0
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    ranks = _ranks(model) if blocked else {}
    zero = "kinfolk_prelu_zero"
    nodes, count, plain = [], 0, 0
    for node in g.node:
        if node.op_type != "PRelu" or len(node.input) != 2 or node.input[1] not in inits:
            nodes.append(node)
            continue
        x, slope = node.input
        y = node.output[0]
        s = numpy_helper.to_array(inits[slope]).astype(np.float32)
        channels = s.size if s.ndim >= 3 and s.shape[-2:] == (1, 1) and s.size == s.shape[-3] else 0
        if blocked and channels and channels % 16 == 0 and ranks.get(x) == 4:
            per_channel = (channels, 1, 1, 1)
            g.initializer.append(numpy_helper.from_array(np.full(per_channel, -1, np.float32), f"{y}__minus1"))
            g.initializer.append(numpy_helper.from_array((1 - s).reshape(per_channel), f"{y}__1_minus_s"))
            nodes += [
                helper.make_node("Conv", [x, f"{y}__minus1"], [f"{y}__negx"], group=channels,
                                 kernel_shape=[1, 1]),
                helper.make_node("Relu", [f"{y}__negx"], [f"{y}__neg"]),
                helper.make_node("Conv", [f"{y}__neg", f"{y}__1_minus_s"], [f"{y}__negs"],
                                 group=channels, kernel_shape=[1, 1]),
                helper.make_node("Add", [x, f"{y}__negs"], [y]),
            ]
        else:
            nodes += [
                helper.make_node("Relu", [x], [f"{y}__pos"]),
                helper.make_node("Min", [x, zero], [f"{y}__neg"]),
                helper.make_node("Mul", [f"{y}__neg", slope], [f"{y}__negs"]),
                helper.make_node("Add", [f"{y}__pos", f"{y}__negs"], [y]),
            ]
            plain += 1
        count += 1
    if count:
        if plain:
            g.initializer.append(numpy_helper.from_array(np.zeros((), np.float32), zero))
        del g.node[:]
        g.node.extend(nodes)
    return count


def _ranks(model: onnx.ModelProto) -> dict[str, int]:
    """The rank of each tensor of ``model`` that ONNX shape inference can tell (empty on failure)."""
    import onnx

    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001 - unknown ranks only mean the portable PRelu form
        return {}
    g = inferred.graph
    return {vi.name: len(vi.type.tensor_type.shape.dim)
            for vi in [*g.input, *g.value_info, *g.output] if vi.type.tensor_type.HasField("shape")}


@functools.lru_cache(maxsize=1)
def blocked_layout() -> bool:
    """Whether this onnxruntime, on this CPU, runs a 16-channel depthwise convolution in its blocked
    NCHWc layout (x86 builds do; ARM ones do not, and there ``split_prelu``'s convolution form would
    be slow). Found by optimizing a one-node model and looking at what onnxruntime made of it."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.ones((16, 1, 1, 1), np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], group=16, kernel_shape=[1, 1])], "probe",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16, 8, 8])], [w])
    probe = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            so = ort.SessionOptions()
            so.log_severity_level = 3
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            so.optimized_model_filepath = os.path.join(tmp, "probe.onnx")
            ort.InferenceSession(probe.SerializeToString(), so, providers=["CPUExecutionProvider"])
            optimized = onnx.load(so.optimized_model_filepath)
    except Exception as exc:  # noqa: BLE001 - the portable form is always correct
        log.info("cannot tell whether onnxruntime uses its blocked layout here: %s", exc)
        return False
    return any(n.domain == "com.microsoft.nchwc" for n in optimized.graph.node)


def free_batch(model: onnx.ModelProto) -> bool:
    """Declare a first dimension fixed to 1 on the graph's inputs and outputs free, and make
    ``Reshape`` nodes with a constant target shape starting with 1 keep the batch (0). Changes
    ``model`` in place; True if anything changed. Callers must check the result against the
    original (a graph may still mix faces of a batch in ways no declaration shows)."""
    from onnx import numpy_helper

    g = model.graph
    changed = False
    for vi in list(g.input) + list(g.output):
        dims = vi.type.tensor_type.shape.dim
        if len(dims) and dims[0].HasField("dim_value") and dims[0].dim_value == 1:
            dims[0].dim_param = "N"
            changed = True
    if not changed:
        return False
    inits = {i.name: i for i in g.initializer}
    for node in g.node:
        if node.op_type == "Reshape" and len(node.input) > 1 and node.input[1] in inits:
            shape = numpy_helper.to_array(inits[node.input[1]])
            if shape.ndim == 1 and len(shape) >= 2 and shape[0] == 1:
                fixed = shape.copy()
                fixed[0] = 0
                inits[node.input[1]].CopyFrom(numpy_helper.from_array(fixed, node.input[1]))
    return True


# -------------------------------------------------------------------------------- checked + cached


def _same_function(original: bytes, rewritten: bytes, batched: bool) -> bool:
    """Do both graphs give the same outputs on 3 random inputs in each usual input range (−1..1 and
    0..255)? Every output, per input: no element off by more than 1e-5 + 1e-3 of the output's largest
    magnitude, and cosine ≥ ``MIN_COSINE`` unless the output is all near zero. The rewritten graph runs the 3 as one batch if ``batched``.
    Spatial dimensions left free (detectors) are checked at 64×64."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = 1
    a = ort.InferenceSession(original, so, providers=["CPUExecutionProvider"])
    b = ort.InferenceSession(rewritten, so, providers=["CPUExecutionProvider"])
    inp = a.get_inputs()[0]
    dims = [d if isinstance(d, int) else 64 for d in inp.shape[1:]]
    rng = np.random.default_rng(0)
    for low, high in ((-1.0, 1.0), (0.0, 255.0)):
        x = rng.uniform(low, high, (3, *dims)).astype(np.float32)
        singles = [a.run(None, {inp.name: x[i:i + 1]}) for i in range(3)]
        if batched:
            got = b.run(None, {b.get_inputs()[0].name: x})
            got_rows = [[o[i] for o in got] for i in range(3)]
        else:
            got_rows = [b.run(None, {b.get_inputs()[0].name: x[i:i + 1]}) for i in range(3)]
        for ref, out in zip(singles, got_rows):
            if len(ref) != len(out):
                return False
            for r, g in zip(ref, out):
                r, g = np.asarray(r, np.float64).ravel(), np.asarray(g, np.float64).ravel()
                if r.shape != g.shape:
                    return False
                scale = float(np.abs(r).max(initial=0.0))
                if float(np.abs(r - g).max(initial=0.0)) > 1e-5 + 1e-3 * scale:
                    return False
                if scale > 1e-3:  # near-zero outputs (a sigmoid far from any face) have no direction
                    cos = float(r @ g) / max(float(np.linalg.norm(r) * np.linalg.norm(g)), 1e-30)
                    if cos < MIN_COSINE:
                        return False
    return True


def rewrite(original: bytes, batch: bool = True, blocked: bool | None = None) -> GraphForm:
    """The checked fastest form of ``original`` (the original itself if no rewrite passes); the
    batch dimension is freed only if ``batch``; PRelu in the blocked-layout form if ``blocked``
    (default: ``blocked_layout()``), else in the portable one, which is also the fallback."""
    import onnx

    if blocked is None:
        blocked = blocked_layout()
    model = onnx.load_from_string(original)
    model, n_folded = fold_constants(model)
    base = model.SerializeToString()
    folded: bytes | None = None
    for layout in (True, False) if blocked else (False,):
        candidate = onnx.load_from_string(base)
        n_prelu = split_prelu(candidate, layout)
        form = candidate.SerializeToString() if n_folded or n_prelu else original
        if form is original or _same_function(original, form, batched=False):
            model, folded, blocked = candidate, form, layout
            break
        if not n_prelu:  # the folding itself is at fault: no PRelu form can help
            break
        log.info("the blocked PRelu form changed the model's output; trying the portable one")
    if folded is None:
        log.warning("rewriting changed the model's output; using it as shipped")
        model, folded, n_folded, n_prelu = onnx.load_from_string(original), original, 0, 0
    notes = [f"{n_folded} constant nodes folded"] if n_folded else []
    notes += [f"{n_prelu} PRelu split{' (blocked form where it fits)' if blocked else ''}"] if n_prelu else []
    if batch and free_batch(model):
        freed = model.SerializeToString()
        if _same_function(original, freed, batched=True):
            return GraphForm(freed, True, "; ".join(notes + ["batch freed"]))
        notes.append("batch stays 1 (a freed batch changes the output)")
        return GraphForm(folded, False, "; ".join(notes))
    inp = model.graph.input[0].type.tensor_type.shape.dim
    batched = bool(len(inp)) and not inp[0].HasField("dim_value")
    return GraphForm(folded, batched, "; ".join(notes) or "as shipped")


def fastest_form(original: bytes, cache_dir: str | os.PathLike[str] | None = None,
                 batch: bool = True) -> GraphForm:
    """``rewrite(original, batch)``, read from / written to ``cache_dir`` (default: the user cache
    dir) under ``<sha256 of original>-v<FORM_VERSION>`` (plus ``-nchwc`` where
    ``blocked_layout()``). A cache that cannot be written is not an error."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    blocked = blocked_layout()
    key = f"{sha256_of(original)}-v{FORM_VERSION}{'-nchwc' if blocked else ''}{'' if batch else '-b1'}"
    # <key>.onnx: the rewritten graph; <key>.batched: its batch is free; <key>.same: no rewrite
    # helps (the original is used: a large fp32 ArcFace is not copied into the cache).
    path, flag, same = (cache / f"{key}{ext}" for ext in (".onnx", ".batched", ".same"))
    try:
        if same.is_file():
            return GraphForm(original, flag.is_file(), "as shipped (cached verdict)")
        if path.is_file():
            return GraphForm(path.read_bytes(), flag.is_file(), "from cache")
    except OSError as exc:
        log.info("cannot read the cached graph %s: %s", path, exc)
    form = rewrite(original, batch, blocked)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        if form.batched:
            flag.touch()
        if form.model is original:
            same.touch()
        else:
            fd, tmp = tempfile.mkstemp(dir=cache, suffix=".part")
            with os.fdopen(fd, "wb") as f:
                f.write(form.model)
            os.replace(tmp, path)  # atomic: a reader sees no file or the whole file
    except OSError as exc:
        log.info("cannot cache the rewritten graph in %s: %s", cache, exc)
    return form
