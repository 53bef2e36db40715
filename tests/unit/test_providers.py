"""Execution-provider choice, CPU fallback and the in-memory model repairs (no real models needed)."""

from __future__ import annotations

import logging

import pytest

from kinfolk.core.faces.providers import CPU, choose_providers, create_session, repair_model

CUDA, DML, COREML = "CUDAExecutionProvider", "DmlExecutionProvider", "CoreMLExecutionProvider"


@pytest.mark.parametrize(
    "available, expected",
    [
        ([CUDA, CPU], [CUDA, CPU]),
        ([CPU, CUDA], [CUDA, CPU]),  # preference order, not the order onnxruntime lists them in
        ([DML, CPU], [DML, CPU]),
        ([COREML, CPU], [COREML, CPU]),
        ([CPU], [CPU]),
        (["AzureExecutionProvider", CPU], [CPU]),  # unknown providers are never picked automatically
        (["TensorrtExecutionProvider", CUDA, CPU], [CUDA, CPU]),
        ([], [CPU]),
    ],
)
def test_preference_intersect_available(available, expected):
    assert choose_providers(available) == expected


@pytest.mark.parametrize("auto", [None, "auto", "", "AUTO"])
def test_auto_override_is_the_default_choice(auto):
    assert choose_providers([DML, CPU], auto) == [DML, CPU]


@pytest.mark.parametrize(
    "override, expected",
    [
        ("cpu", [CPU]),
        ("CPU", [CPU]),
        ("cuda", [CUDA, CPU]),
        ("CUDAExecutionProvider", [CUDA, CPU]),
        ("cudaexecutionprovider", [CUDA, CPU]),
        (["cuda", "cpu"], [CUDA, CPU]),
        (["cpu", "cuda"], [CUDA, CPU]),  # CPU is always the last resort
    ],
)
def test_override(override, expected):
    assert choose_providers([CUDA, DML, CPU], override) == expected


def test_override_directml_and_coreml_aliases():
    assert choose_providers([DML, CPU], "directml") == [DML, CPU]
    assert choose_providers([DML, CPU], "dml") == [DML, CPU]
    assert choose_providers([COREML, CPU], "coreml") == [COREML, CPU]


def test_cpu_override_works_even_if_not_listed():
    assert choose_providers([], "cpu") == [CPU]


@pytest.mark.parametrize("override", ["cuda", "coreml", "TensorrtExecutionProvider", "quantum"])
def test_unavailable_or_unknown_override_names_the_available_ones(override):
    with pytest.raises(ValueError) as err:
        choose_providers([DML, CPU], override)
    message = str(err.value)
    assert override in message
    assert DML in message and CPU in message


def test_empty_override_list_is_an_error():
    with pytest.raises(ValueError):
        choose_providers([CPU], [])


# -- create_session with an injected factory --------------------------------------------------------


class _Input:
    def __init__(self, name):
        self.name = name
        self.shape = [1, 3, 112, 112]


class FakeSession:
    def __init__(self, model, options, providers):
        self.model, self.options, self.providers = model, options, list(providers)

    def get_inputs(self):
        return [_Input("data")]

    def get_providers(self):
        return self.providers


class GpuBrokenFactory:
    """Fails like onnxruntime does when a GPU provider cannot be initialised; records every call."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def __call__(self, model, options, providers):
        self.calls.append(list(providers))
        if any(p != CPU for p in providers):
            raise RuntimeError("CUDA failure 35: CUDA driver version is insufficient")
        return FakeSession(model, options, providers)


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"")  # an empty protobuf: a valid ModelProto with no graph
    return path


def test_gpu_failure_falls_back_to_cpu_with_a_warning(model_file, caplog):
    factory = GpuBrokenFactory()
    with caplog.at_level(logging.WARNING, logger="kinfolk.core.faces.providers"):
        session = create_session(model_file, available=[CUDA, CPU], factory=factory)
    assert factory.calls == [[CUDA, CPU], [CPU]]
    assert session.get_providers() == [CPU]
    assert any("falling back to CPU" in r.getMessage() for r in caplog.records)


def test_working_gpu_is_used(model_file):
    session = create_session(model_file, available=[DML, CPU], factory=FakeSession)
    assert session.get_providers() == [DML, CPU]
    # DirectML supports neither memory patterns nor parallel execution.
    assert session.options.enable_mem_pattern is False


def test_cpu_failure_is_not_hidden(model_file):
    def broken(model, options, providers):
        raise RuntimeError("corrupt model")

    with pytest.raises(RuntimeError, match="corrupt model"):
        create_session(model_file, available=[CPU], factory=broken)


def test_session_options(model_file):
    session = create_session(model_file, available=[CPU], factory=FakeSession, threads=3)
    import onnxruntime as ort

    assert session.options.log_severity_level == 3
    assert session.options.intra_op_num_threads == 3
    assert session.options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    assert session.options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_explicit_providers_and_override(model_file):
    session = create_session(model_file, override="cpu", available=[CUDA, CPU], factory=FakeSession)
    assert session.get_providers() == [CPU]
    with pytest.raises(ValueError):
        create_session(model_file, override="cuda", available=[CPU], factory=FakeSession)


def test_missing_model_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        create_session(tmp_path / "absent.onnx", available=[CPU], factory=FakeSession)


# -- repair_model on hand-built protobufs -----------------------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _ld(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _int(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _value_info(name: str) -> bytes:
    return _ld(1, name.encode())


def _node(op: str, inputs: list[str], outputs: list[str], attrs: bytes = b"") -> bytes:
    body = b"".join(_ld(1, i.encode()) for i in inputs) + b"".join(_ld(2, o.encode()) for o in outputs)
    return body + _ld(4, op.encode()) + attrs


def _initializer(name: str, dims: list[int]) -> bytes:
    return b"".join(_int(1, d) for d in dims) + _int(2, 1) + _ld(8, name.encode())


def _model(graph: bytes) -> bytes:
    return _int(1, 8) + _ld(2, b"test") + _ld(7, graph) + _ld(8, _int(2, 21))


def test_repair_drops_unused_inputs_only():
    graph = (
        _ld(1, _node("Relu", ["x"], ["y"]))
        + _ld(11, _value_info("x"))
        + _ld(11, _value_info("conv_weight_unused"))
        + _ld(12, _value_info("y"))
    )
    fixed, repairs = repair_model(_model(graph))
    expected_graph = _ld(1, _node("Relu", ["x"], ["y"])) + _ld(11, _value_info("x")) + _ld(12, _value_info("y"))
    assert fixed == _model(expected_graph)
    assert repairs == ["dropped 1 unused graph input declarations"]


def test_repair_keeps_inputs_read_inside_subgraphs():
    body = _node("Relu", ["outer"], ["z"])
    subgraph_attr = _ld(5, _ld(1, b"then_branch") + _ld(6, _ld(1, body) + _ld(12, _value_info("z"))))
    graph = (
        _ld(1, _node("If", ["cond"], ["y"], subgraph_attr))
        + _ld(11, _value_info("cond"))
        + _ld(11, _value_info("outer"))
        + _ld(12, _value_info("y"))
    )
    assert repair_model(_model(graph)) == (None, [])


def test_repair_removes_block_size_from_per_tensor_dequantize():
    block = _ld(5, _ld(1, b"block_size") + _int(3, 64) + _int(20, 2))
    axis = _ld(5, _ld(1, b"axis") + _int(3, 1) + _int(20, 2))
    per_tensor = _node("DequantizeLinear", ["w", "s1"], ["wf"], axis + block)
    blocked = _node("DequantizeLinear", ["w2", "s2"], ["wf2"], axis + block)
    graph = (
        _ld(1, per_tensor)
        + _ld(1, blocked)
        + _ld(5, _initializer("s1", [1]))
        + _ld(5, _initializer("s2", [64, 1]))  # a real blocked scale: left alone
        + _ld(12, _value_info("wf"))
        + _ld(12, _value_info("wf2"))
    )
    fixed, repairs = repair_model(_model(graph))
    expected = graph.replace(_ld(1, per_tensor), _ld(1, _node("DequantizeLinear", ["w", "s1"], ["wf"], axis)))
    assert fixed == _model(expected)
    assert repairs == ["removed block_size from 1 per-tensor DequantizeLinear nodes"]


def test_repair_leaves_sound_models_alone():
    graph = _ld(1, _node("Relu", ["x"], ["y"])) + _ld(11, _value_info("x")) + _ld(12, _value_info("y"))
    assert repair_model(_model(graph)) == (None, [])
    assert repair_model(b"") == (None, [])


@pytest.mark.parametrize("garbage", [b"\x0a\xff\xff\xff\x0f", b"\x3a\x05ab", b"\x08\xff", b"\x0f"])
def test_repair_rejects_garbage(garbage):
    with pytest.raises(ValueError):
        repair_model(garbage)


def test_garbage_file_reaches_the_session_factory(tmp_path):
    """A file that is not a protobuf is onnxruntime's to reject, with its own message."""
    path = tmp_path / "notes.onnx"
    path.write_bytes(b"\x0f not a model")
    session = create_session(path, available=[CPU], factory=FakeSession)
    assert session.model == str(path)


def test_cpu_sessions_default_to_one_thread(model_file):
    """The scanner's workers are the parallelism; intra-op threads on top of them oversubscribe."""
    import onnxruntime as ort

    cpu = create_session(model_file, available=[CPU], factory=FakeSession)
    assert cpu.options.intra_op_num_threads == 1
    assert cpu.options.inter_op_num_threads == 1
    assert cpu.options.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL
    # A GPU session keeps onnxruntime's own choice for the few operators left on CPU.
    gpu = create_session(model_file, available=[CUDA, CPU], factory=FakeSession)
    assert gpu.get_providers() == [CUDA, CPU]
    assert gpu.options.intra_op_num_threads == 0


def test_session_from_bytes(model_file):
    session = create_session(model_file.read_bytes(), available=[CPU], factory=FakeSession, name="m")
    assert session.get_providers() == [CPU]
