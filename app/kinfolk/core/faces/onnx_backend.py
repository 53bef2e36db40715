"""The ONNX Runtime face backend: an SCRFD (or YuNet) detector + an ArcFace-style recognizer.

Every supported recognizer takes a 112×112 chip aligned on the ArcFace 5-point template and returns an
embedding compared by cosine similarity; they differ only in channel order and input scaling, which a
``RecognizerSpec`` records (MODELS.md):

- InsightFace ArcFace (``w600k_r50``, ``w600k_mbf``, ``glintr100``): RGB, (x − 127.5) / 127.5.
- OpenCV Zoo SFace: RGB, raw 0..255.
- faceplugin MobileFaceNet: BGR, (x − 127) / 128.

Getting these wrong does not crash: it silently degrades accuracy. The values for each pack live in
``models/manifest.json`` and reach this module as a ``RecognizerSpec``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Sequence

import numpy as np

from kinfolk.core.faces.align import align_face
from kinfolk.core.faces.backend import Detection, Float32Array, ImageArray, l2_normalize

if TYPE_CHECKING:
    from kinfolk.core.faces.scrfd import LetterboxDetector

#: Chips per ``run()`` for models with a free batch dimension. On CPU a batch saves nothing per
#: face (measured, 1 thread: MobileFaceNet-512 9.8 ms a face alone, 9.3 in 4s, 12.0 in 32s; SFace
#: fp32 25.6 / 25.7 / 28.3 in 16s: big batches fall out of the caches), so CPU runs take a few chips;
#: GPUs gain from large batches.
EMBED_CHUNK_CPU = 4
EMBED_CHUNK_GPU = 32


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecognizerSpec:
    """How to feed one recognizer: ``(chip[, BGR] − mean) / std`` in NCHW float32."""

    model_id: str
    color: Literal["RGB", "BGR"]
    mean: float
    std: float
    dim: int
    input_size: int = 112


class OnnxBackend:
    """A ``FaceBackend`` (see ``backend.py``) on ONNX Runtime. ``detect``/``crop``/``embed`` are thread-safe."""

    detect_size = 640

    def __init__(
        self,
        pack_id: str,
        detector_path: str | os.PathLike[str],
        recognizer_path: str | os.PathLike[str],
        recognizer: RecognizerSpec,
        detector_kind: Literal["scrfd", "yunet"] = "scrfd",
        providers_override: str | Sequence[str] | None = None,
        threads: int | None = None,
        *,
        score_threshold: float = 0.5,
        graph_cache: str | os.PathLike[str] | None = None,
    ) -> None:
        """``threads``: intra-op threads per session (default: 1 on CPU, see ``providers``).
        ``graph_cache``: where the rewritten graphs are cached (default: the user cache
        dir; see ``graph_rewrite``)."""
        from kinfolk.core.faces.providers import CPU, create_session

        self.pack_id = pack_id
        self.spec = recognizer
        self.model_id = recognizer.model_id
        self.embedding_dim = recognizer.dim
        det_session = create_session(self._fast(detector_path, graph_cache, batch=False)[0],
                                     override=providers_override, threads=threads,
                                     name=Path(detector_path).name)
        self.detector: LetterboxDetector
        if detector_kind == "scrfd":
            from kinfolk.core.faces.scrfd import ScrfdDetector

            self.detector = ScrfdDetector(det_session, input_size=self.detect_size, score_threshold=score_threshold)
        elif detector_kind == "yunet":
            from kinfolk.core.faces.yunet import YunetDetector

            self.detector = YunetDetector(det_session, score_threshold=score_threshold)
        else:
            raise ValueError(f"unknown detector kind {detector_kind!r} (expected 'scrfd' or 'yunet')")
        # Both models run in their fastest equivalent form: weights dequantized once, PRelu split,
        # the recognizer's batch freed where the graph allows it (checked; see graph_rewrite).
        model, batched = self._fast(recognizer_path, graph_cache, batch=True)
        self._rec = create_session(model, override=providers_override, threads=threads,
                                   name=Path(recognizer_path).name)
        inp = self._rec.get_inputs()[0]
        self._rec_input = inp.name
        shape = inp.shape
        if len(shape) != 4 or shape[1] != 3:
            raise ValueError(f"{os.fspath(recognizer_path)}: expected an NCHW input with 3 channels, got {shape}")
        size = recognizer.input_size
        if isinstance(shape[2], int) and isinstance(shape[3], int) and (shape[2], shape[3]) != (size, size):
            raise ValueError(f"{os.fspath(recognizer_path)}: input is {shape[2]}×{shape[3]}, spec says {size}")
        out_dim = self._rec.get_outputs()[0].shape[-1]
        if isinstance(out_dim, int) and out_dim != recognizer.dim:
            raise ValueError(f"{os.fspath(recognizer_path)}: embeddings have {out_dim} dims, spec says {recognizer.dim}")
        on_cpu = self._rec.get_providers()[0] == CPU
        self._batch = (EMBED_CHUNK_CPU if on_cpu else EMBED_CHUNK_GPU) if batched else 1
        #: On CPU, batching across photos saves nothing, so the scanner embeds each photo's faces in
        #: the worker that found them (no hand-off, both cores share the work); a GPU gets batches.
        self.embed_in_workers = on_cpu
        providers = list(det_session.get_providers())
        for p in self._rec.get_providers():
            if p not in providers:
                providers.append(p)
        self.providers = providers

    @staticmethod
    def _fast(path: str | os.PathLike[str], graph_cache: str | os.PathLike[str] | None, batch: bool
              ) -> tuple[bytes, bool]:
        """(model bytes, batch is free) of the model at ``path`` in its fastest checked form, or as
        shipped (repaired) if rewriting fails: a rewrite can only cost speed, never a scan."""
        from kinfolk.core.faces.graph_rewrite import fastest_form
        from kinfolk.core.faces.providers import repair_model

        if not Path(path).is_file():
            raise FileNotFoundError(f"model file not found: {os.fspath(path)}")
        shipped = Path(path).read_bytes()
        try:
            shipped = repair_model(shipped)[0] or shipped
        except ValueError:
            return shipped, False  # not a protobuf: let onnxruntime report it in its own words
        try:
            form = fastest_form(shipped, graph_cache, batch=batch)
        except Exception as exc:  # noqa: BLE001
            log.warning("%s: runs as shipped (%s)", Path(path).name, exc)
            return shipped, False
        log.info("%s: %s", Path(path).name, form.note)
        return form.model, form.batched

    def detect(self, rgb: ImageArray) -> list[Detection]:
        """Faces in ``rgb`` (H, W, 3) uint8 RGB, best first; see ``ScrfdDetector.detect``."""
        return self.detector.detect(rgb)

    def crop(self, rgb: ImageArray, det: Detection) -> ImageArray:
        """The aligned (input_size, input_size, 3) uint8 RGB chip of ``det``."""
        return align_face(rgb, det.landmarks, self.spec.input_size)

    def preprocess(self, chips: Sequence[ImageArray]) -> Float32Array:
        """Chips → the recognizer's (n, 3, S, S) float32 input."""
        batch = np.stack([np.asarray(c) for c in chips])
        size = self.spec.input_size
        if batch.shape[1:] != (size, size, 3) or batch.dtype != np.uint8:
            raise ValueError(f"expected ({size}, {size}, 3) uint8 chips, got {batch.shape[1:]} {batch.dtype}")
        if self.spec.color == "BGR":
            batch = batch[..., ::-1]
        x = batch.transpose(0, 3, 1, 2).astype(np.float32)
        if self.spec.mean:
            x -= np.float32(self.spec.mean)
        if self.spec.std != 1.0:
            x *= np.float32(1.0 / self.spec.std)
        return np.ascontiguousarray(x)

    def embed(self, chips: Sequence[ImageArray]) -> Float32Array:
        """(n, embedding_dim) float32 unit rows for aligned chips (from ``crop``)."""
        if len(chips) == 0:
            return np.zeros((0, self.embedding_dim), np.float32)
        x = self.preprocess(chips)
        outs = []
        for start in range(0, len(x), self._batch):
            out = self._rec.run(None, {self._rec_input: x[start : start + self._batch]})[0]
            outs.append(out.reshape(out.shape[0], -1))
        emb = np.concatenate(outs)
        if emb.shape[1] != self.embedding_dim:
            raise ValueError(f"recognizer returned {emb.shape[1]} dims, spec says {self.embedding_dim}")
        return l2_normalize(emb)
