"""A plain reference pipeline for the LFW pairs protocol, independent of Kinfolk's code (not collected).

    python tests/bench/plain_lfw_pairs.py PAIRS.txt LFW_ROOT [--models ../shared/models]

SCRFD-500MF (det_500m.onnx: letterbox to 640, strides 8/16/32, 2 anchors, score 0.5, NMS 0.4) → the
face nearest the image centre → 5-point similarity transform (Umeyama) onto the ArcFace 112×112
template → SFace int8 (RGB 0..255 NCHW) → cosine; then the same 10-fold protocol as
``kinfolk evaluate --pairs``. Only numpy, Pillow and onnxruntime: a yardstick for Kinfolk's pipeline.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "app"))

from kinfolk.core.evaluation.lfw_pairs import image_path, read_pairs, ten_fold_accuracy  # noqa: E402

TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                     [41.5493, 92.3655], [70.7299, 92.2041]], np.float64)


def detect(sess, rgb: np.ndarray, size: int = 640):
    h, w = rgb.shape[:2]
    r = size / max(h, w)
    nw, nh = round(w * r), round(h * r)
    canvas = np.zeros((size, size, 3), np.float32)
    canvas[:nh, :nw] = np.asarray(Image.fromarray(rgb).resize((nw, nh), Image.BILINEAR), np.float32)
    blob = ((canvas - 127.5) / 128.0).transpose(2, 0, 1)[None]
    out = sess.run(None, {sess.get_inputs()[0].name: blob})
    boxes, kpss, scores = [], [], []
    for i, stride in enumerate((8, 16, 32)):
        s, b, k = out[i].reshape(-1), out[i + 3].reshape(-1, 4) * stride, out[i + 6].reshape(-1, 10) * stride
        g = size // stride
        yy, xx = np.mgrid[:g, :g]
        c = np.repeat(np.stack([xx.ravel(), yy.ravel()], 1) * stride, 2, axis=0).astype(np.float32)
        keep = s >= 0.5
        c, s, b, k = c[keep], s[keep], b[keep], k[keep]
        boxes.append(np.column_stack([c[:, 0] - b[:, 0], c[:, 1] - b[:, 1], c[:, 0] + b[:, 2], c[:, 1] + b[:, 3]]))
        kpss.append((k.reshape(-1, 5, 2) + c[:, None, :]))
        scores.append(s)
    boxes, kpss, scores = np.concatenate(boxes) / r, np.concatenate(kpss) / r, np.concatenate(scores)
    order, keep = np.argsort(-scores), []
    while len(order):
        i = order[0]
        keep.append(i)
        xx1 = np.maximum(boxes[i, 0], boxes[order[1:], 0])
        yy1 = np.maximum(boxes[i, 1], boxes[order[1:], 1])
        xx2 = np.minimum(boxes[i, 2], boxes[order[1:], 2])
        yy2 = np.minimum(boxes[i, 3], boxes[order[1:], 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        area = lambda j: (boxes[j, 2] - boxes[j, 0]) * (boxes[j, 3] - boxes[j, 1])  # noqa: E731
        iou = inter / (area(i) + area(order[1:]) - inter)
        order = order[1:][iou <= 0.4]
    return boxes[keep], kpss[keep]


def umeyama(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2×3 similarity transform mapping src points onto dst (least squares)."""
    ms, md = src.mean(0), dst.mean(0)
    s, d = src - ms, dst - md
    u, sig, vt = np.linalg.svd(d.T @ s / len(src))
    e = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        e[1, 1] = -1
    rot = u @ e @ vt
    scale = np.trace(np.diag(sig) @ e) / s.var(0).sum()
    return np.column_stack([scale * rot, md - scale * rot @ ms])


def align(rgb: np.ndarray, kps: np.ndarray) -> np.ndarray:
    m = np.vstack([umeyama(kps.astype(np.float64), TEMPLATE), [0, 0, 1]])
    inv = np.linalg.inv(m)[:2].ravel()
    return np.asarray(Image.fromarray(rgb).transform((112, 112), Image.AFFINE, tuple(inv), Image.BILINEAR))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pairs")
    ap.add_argument("root")
    ap.add_argument("--models", default=str(Path(__file__).resolve().parents[3] / "shared" / "models"))
    a = ap.parse_args()
    det = ort.InferenceSession(f"{a.models}/det_500m.onnx", providers=["CPUExecutionProvider"])
    rec = ort.InferenceSession(f"{a.models}/face_recognition_sface_2021dec_int8bq_ort.onnx",
                               providers=["CPUExecutionProvider"])
    folds = read_pairs(a.pairs)
    keys = sorted({(p[0], p[1]) for f in folds for p, _ in f} | {(p[2], p[3]) for f in folds for p, _ in f})
    emb, missing = {}, 0
    for n, key in enumerate(keys):
        rgb = np.asarray(Image.open(image_path(a.root, *key)).convert("RGB"))
        boxes, kpss = detect(det, rgb)
        if not len(boxes):
            missing += 1
            continue
        h, w = rgb.shape[:2]
        i = int(np.argmin(((boxes[:, 0] + boxes[:, 2]) / 2 - w / 2) ** 2 + ((boxes[:, 1] + boxes[:, 3]) / 2 - h / 2) ** 2))
        chip = align(rgb, kpss[i]).astype(np.float32).transpose(2, 0, 1)[None]
        e = rec.run(None, {rec.get_inputs()[0].name: chip})[0][0]
        emb[key] = e / np.linalg.norm(e)
        if n % 500 == 0:
            print(f"{n}/{len(keys)}", file=sys.stderr, flush=True)

    def score(a_, i, b, j):
        ea, eb = emb.get((a_, i)), emb.get((b, j))
        return -1.0 if ea is None or eb is None else float(ea @ eb)

    scores = [np.array([score(*p) for p, _ in f]) for f in folds]
    same = [np.array([s for _, s in f]) for f in folds]
    m, sd, _ = ten_fold_accuracy(scores, same)
    print(f"plain SCRFD-500MF + Umeyama + SFace int8: accuracy {m:.4f} ± {sd:.4f} "
          f"({len(keys)} images, {missing} without a face)")


if __name__ == "__main__":
    main()
