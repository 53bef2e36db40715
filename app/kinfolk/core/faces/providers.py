"""ONNX Runtime execution providers and session creation.

Which hardware runs a model is decided here and nowhere else (DESIGN.md §3):

- ``choose_providers``: a fixed preference order (CUDA, DirectML, CoreML, CPU) intersected with what the
  installed onnxruntime build offers, CPU always last as the safety net; the user may force one.
- ``create_session``: builds an ``InferenceSession`` with our options; if a GPU provider makes creation
  fail (missing driver, unsupported op, out of memory) it logs a warning and retries on CPU alone, so a
  broken GPU setup degrades to "slower", never to "no faces".
- Two export defects that make onnxruntime fail at ``run()`` are repaired in memory (``repair_model``):
  graph inputs no node reads (the original OpenCV Zoo SFace int8 file declares 29), and ``block_size``
  on per-tensor DequantizeLinear nodes (the OpenCV Zoo YuNet int8 file). This is a tiny protobuf
  rewrite applied to every small model before it is loaded (``graph_rewrite`` does the heavier
  recognizer rewrites with the ``onnx`` package).
- Threads: on CPU a session gets **one** intra-op thread unless told otherwise. Kinfolk's parallelism
  is the scanner's workers (one photo each); intra-op threads on top of them oversubscribe the cores,
  and every parallel operator then waits for its slowest thread, which the OS has just pre-empted for
  another worker: on 2 cores the 512-d MobileFaceNet cost 66–87 ms a face inside a scan against
  10 ms of CPU alone.

The session factory is a parameter, so tests exercise the fallback without touching onnxruntime globals.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol, Sequence

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import onnxruntime as ort

log = logging.getLogger(__name__)

CPU = "CPUExecutionProvider"

#: Best first. CPU is always the final fallback.
PREFERENCE = (
    "CUDAExecutionProvider",
    "DmlExecutionProvider",
    "CoreMLExecutionProvider",
    CPU,
)

#: Short names accepted in settings / on the command line.
ALIASES = {
    "cuda": "CUDAExecutionProvider",
    "gpu": "CUDAExecutionProvider",
    "directml": "DmlExecutionProvider",
    "dml": "DmlExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "cpu": CPU,
}



class NodeArg(Protocol):
    """An input or output of a session: its name and shape (ints, or names of free dimensions)."""

    @property
    def name(self) -> str: ...

    @property
    def shape(self) -> list[int | str | None]: ...


class Session(Protocol):
    """What Kinfolk uses of an ``onnxruntime.InferenceSession`` (onnxruntime ships no type stubs)."""

    def run(self, output_names: list[str] | None,
            input_feed: dict[str, npt.NDArray[np.float32]]) -> list[npt.NDArray[np.float32]]: ...

    def get_inputs(self) -> list[NodeArg]: ...

    def get_outputs(self) -> list[NodeArg]: ...

    def get_providers(self) -> list[str]: ...


#: ``factory(model, sess_options, providers) -> session``; ``model`` is a path or the model's bytes.
SessionFactory = Callable[["str | bytes", "ort.SessionOptions", list[str]], Session]

#: Models up to this size are checked for the defects ``repair_model`` fixes (all detectors and the
#: quantized recognizers; the large float ArcFace models predate both defects and are loaded as is).
REPAIR_MAX_BYTES = 64 * 1024 * 1024


def _resolve(name: str) -> str:
    """A full provider name from an alias or a full name (case-insensitive)."""
    key = name.strip()
    if key.lower() in ALIASES:
        return ALIASES[key.lower()]
    for full in PREFERENCE:
        if key.lower() == full.lower():
            return full
    return key  # an unknown full name; validated against ``available`` by the caller


def choose_providers(
    available: Sequence[str], override: str | Sequence[str] | None = None
) -> list[str]:
    """The providers to ask onnxruntime for, best first, ending with CPU.

    Without ``override``: ``PREFERENCE`` ∩ ``available`` (providers we do not know, e.g. Azure or
    TensorRT, are not chosen automatically). With ``override`` ("cpu", "cuda", "directml", "coreml",
    "auto", a full provider name, or a list of them): exactly those, in that order, plus CPU last.
    Raises ``ValueError`` naming the available providers when an override is unknown or unavailable.
    """
    avail = list(available)
    if override is None or (isinstance(override, str) and override.strip().lower() in ("", "auto")):
        return [p for p in PREFERENCE if p in avail and p != CPU] + [CPU]
    names = [override] if isinstance(override, str) else list(override)
    if not names:
        raise ValueError("empty execution-provider override")
    chosen: list[str] = []
    for name in names:
        full = _resolve(name)
        if full not in avail and full != CPU:  # CPU is built into every onnxruntime
            raise ValueError(
                f"execution provider {name!r} is not available in this onnxruntime build; "
                f"available: {', '.join(avail) or 'none'} "
                f"(short names: {', '.join(sorted(ALIASES))})"
            )
        if full not in chosen:
            chosen.append(full)
    if CPU in chosen:
        chosen.remove(CPU)
    return chosen + [CPU]


def session_options(threads: int | None = None, providers: Sequence[str] = ()) -> ort.SessionOptions:
    """Our ``SessionOptions``: full graph optimisation, quiet logs, sequential execution, no spinning,
    ``threads`` intra-op threads (default: 1 when running on CPU alone, onnxruntime's choice with a
    GPU provider, whose CPU threads only run the few operators it lacks)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3  # the shared models spam warnings at the default level
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.inter_op_num_threads = 1
    if threads is None and list(providers) == [CPU]:
        threads = 1
    if threads:
        so.intra_op_num_threads = int(threads)
    # Idle worker threads sleep instead of spinning: the scanner runs decoding, detection and
    # embedding side by side on few cores, and spinning threads steal the cores the other stages need
    # (measured with 2-thread sessions on 2 busy cores: half the CPU time, no slower).
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.add_session_config_entry("session.inter_op.allow_spinning", "0")
    if "DmlExecutionProvider" in providers:
        # DirectML supports neither memory patterns nor parallel execution (onnxruntime docs).
        so.enable_mem_pattern = False
    return so


def create_session(
    path: str | os.PathLike[str] | bytes,
    providers: Sequence[str] | None = None,
    override: str | Sequence[str] | None = None,
    threads: int | None = None,
    *,
    available: Sequence[str] | None = None,
    factory: SessionFactory | None = None,
    name: str = "in-memory model",
) -> Session:
    """An inference session for the model at ``path`` (or the model's bytes, called ``name`` in logs).

    ``providers`` (explicit list) wins over ``override`` (see ``choose_providers``); by default the
    providers are chosen from ``available`` (``onnxruntime.get_available_providers()``). If creating
    the session with a GPU provider raises, a warning is logged and CPU alone is tried. Models up to
    ``REPAIR_MAX_BYTES`` go through ``repair_model`` first. ``factory`` defaults to
    ``onnxruntime.InferenceSession``; tests inject their own.
    """
    if isinstance(path, bytes):
        model_bytes: bytes | None = path
    else:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"model file not found: {path}")
        name = path.name
        model_bytes = path.read_bytes() if path.stat().st_size <= REPAIR_MAX_BYTES else None
    if factory is None or available is None:
        import onnxruntime as ort

        factory = factory or ort.InferenceSession
        if available is None:
            available = ort.get_available_providers()
    chosen = list(providers) if providers else choose_providers(available, override)

    model: str | bytes = path if isinstance(path, bytes) else str(path)
    if model_bytes is not None and len(model_bytes) <= REPAIR_MAX_BYTES:
        try:
            fixed, repairs = repair_model(model_bytes)
        except ValueError:  # not a protobuf: let onnxruntime report it in its own words
            fixed, repairs = None, []
        if fixed is not None:
            log.info("%s: repaired in memory (%s)", name, "; ".join(repairs))
            model = fixed

    def make(provs: list[str]) -> Session:
        return factory(model, session_options(threads, provs), provs)

    try:
        return make(chosen)
    except Exception as exc:  # onnxruntime raises its own exception types; any failure qualifies
        if chosen == [CPU]:
            raise
        log.warning(
            "could not create an ONNX Runtime session for %s with %s (%s); falling back to CPU",
            name, ", ".join(chosen), exc,
        )
        return make([CPU])


# --- minimal protobuf (wire format) rewrite of ONNX ModelProto --------------------------------------
# Field numbers from onnx.proto: ModelProto.graph=7; GraphProto.node=1, input=11, output=12;
# NodeProto.input=1, attribute=5; AttributeProto.g=6, graphs=11; ValueInfoProto.name=1.


def _varint(buf: memoryview, i: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, i


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _fields(buf: memoryview) -> Iterator[tuple[int, int, Any, int, int]]:
    """(field number, wire type, value, start offset, end offset) of each top-level field."""
    i, n = 0, len(buf)
    value: int | memoryview
    while i < n:
        start = i
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            value, i = buf[i : i + 8], i + 8
        elif wire == 5:
            value, i = buf[i : i + 4], i + 4
        elif wire == 2:
            length, i = _varint(buf, i)
            value, i = buf[i : i + length], i + length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if i > n:
            raise ValueError("truncated protobuf")
        yield number, wire, value, start, i


def _strings(buf: memoryview, number: int) -> list[str]:
    return [bytes(v).decode("utf-8") for f, w, v, _, _ in _fields(buf) if f == number and w == 2]


def _consumed_names(graph: memoryview, into: set[str]) -> None:
    """Every name read by a node of ``graph`` or of its subgraphs (If/Loop bodies), plus its outputs."""
    for number, wire, value, _, _ in _fields(graph):
        if wire != 2:
            continue
        if number == 12:  # graph output
            into.update(_strings(value, 1))
        elif number == 1:  # node
            for f, w, v, _, _ in _fields(value):
                if f == 1 and w == 2:
                    into.add(bytes(v).decode("utf-8"))
                elif f == 5 and w == 2:  # attribute: look into subgraphs
                    for af, aw, av, _, _ in _fields(v):
                        if af in (6, 11) and aw == 2:
                            _consumed_names(av, into)


def _initializer_dims(graph: memoryview) -> dict[str, tuple[int, ...]]:
    """Shape of each initializer (TensorProto: dims=1, packed or not; name=8)."""
    shapes: dict[str, tuple[int, ...]] = {}
    for number, wire, value, _, _ in _fields(graph):
        if number != 5 or wire != 2:
            continue
        name, dims = None, []
        for f, w, v, _, _ in _fields(value):
            if f == 8 and w == 2:
                name = bytes(v).decode("utf-8")
            elif f == 1 and w == 0:
                dims.append(v)
            elif f == 1 and w == 2:  # packed dims
                i = 0
                while i < len(v):
                    d, i = _varint(v, i)
                    dims.append(d)
        if name is not None:
            shapes[name] = tuple(dims)
    return shapes


def _fix_block_size(node: memoryview, init_dims: dict[str, tuple[int, ...]]) -> bytes | None:
    """A DequantizeLinear node with a scalar / one-element 1-D scale but a ``block_size``, without it.

    Such nodes (OpenCV Zoo "int8bq" exports) are valid ONNX — one block spanning the whole axis — but
    onnxruntime treats a scalar or one-element 1-D scale as per-tensor and fails at ``run()``
    ("block_size must be 0 for per-tensor quantization"). Dropping the attribute gives the same numbers.
    (A one-element scale of rank ≥ 2 is a blocked scale to onnxruntime and works as is.)
    """
    op = "".join(_strings(node, 4))
    if op != "DequantizeLinear":
        return None
    inputs = _strings(node, 1)
    if len(inputs) < 2 or init_dims.get(inputs[1]) not in ((), (1,)):
        return None
    kept: list[bytes] = []
    changed = False
    for number, wire, value, start, end in _fields(node):
        if number == 5 and wire == 2 and _strings(value, 1) == ["block_size"]:
            changed = True
            continue
        kept.append(bytes(node[start:end]))
    return b"".join(kept) if changed else None


def _field_bytes(number: int, payload: bytes) -> bytes:
    return _encode_varint((number << 3) | 2) + _encode_varint(len(payload)) + payload


def repair_model(model: bytes) -> tuple[bytes | None, list[str]]:
    """``model`` with two known export defects fixed, or ``(None, [])`` if it has neither.

    1. Graph inputs that no node reads (the original SFace int8 declares 29): onnxruntime demands a
       value for each at ``run()``; their declarations are dropped.
    2. ``block_size`` on DequantizeLinear with a one-element scale (see ``_fix_block_size``).

    Everything else (weights, other nodes, metadata) is copied byte for byte. Raises ``ValueError`` on
    bytes that are not a protobuf.
    """
    try:
        return _repair(memoryview(model))
    except (IndexError, UnicodeDecodeError) as exc:  # a truncated varint, a name that is not UTF-8
        raise ValueError(f"not an ONNX model: {exc}") from None


def _repair(buf: memoryview) -> tuple[bytes | None, list[str]]:
    graph_field = next(((v, s, e) for f, w, v, s, e in _fields(buf) if f == 7 and w == 2), None)
    if graph_field is None:
        return None, []
    graph, g_start, g_end = graph_field
    used: set[str] = set()
    _consumed_names(graph, used)
    init_dims = _initializer_dims(graph)
    parts: list[bytes] = []
    dropped_inputs = fixed_nodes = 0
    for number, wire, value, start, end in _fields(graph):
        if number == 11 and wire == 2 and not (set(_strings(value, 1)) & used):
            dropped_inputs += 1
            continue
        if number == 1 and wire == 2:
            node = _fix_block_size(value, init_dims)
            if node is not None:
                fixed_nodes += 1
                parts.append(_field_bytes(1, node))
                continue
        parts.append(bytes(graph[start:end]))
    repairs = []
    if dropped_inputs:
        repairs.append(f"dropped {dropped_inputs} unused graph input declarations")
    if fixed_nodes:
        repairs.append(f"removed block_size from {fixed_nodes} per-tensor DequantizeLinear nodes")
    if not repairs:
        return None, []
    new_graph = _field_bytes(7, b"".join(parts))
    return bytes(buf[:g_start]) + new_graph + bytes(buf[g_end:]), repairs
