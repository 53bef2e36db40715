"""Decode memory is bounded (issue 13): a huge PNG is reduced before RGB conversion, decodes above
``BIG_DECODE_BYTES`` run one at a time on one thread, and those above ``MAX_DECODE_BYTES`` are refused.
Measured in a subprocess (peak RSS) on a PNG made at test time from a real photo."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PIL import Image

from kinfolk.core.imaging import imageio

SIDE = 6000  # 36 MP RGBA: 144 MB of decoded pixels


@pytest.fixture(scope="module")
def big_png(tmp_path_factory, faces_dir):
    path = tmp_path_factory.mktemp("big") / "big.png"
    with Image.open(faces_dir / "deepface" / "pde_0001.jpg") as im:
        im.convert("RGBA").resize((SIDE, SIDE), Image.Resampling.BILINEAR).save(path, compress_level=1)
    return path


PROBE = """
import resource, sys
from concurrent.futures import ThreadPoolExecutor
from kinfolk.core.imaging import imageio
imageio._setup()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
n = int(sys.argv[2])
with ThreadPoolExecutor(n) as ex:
    shapes = list(ex.map(lambda p: imageio.load_for_detection(p, 640).rgb.shape, [sys.argv[1]] * n))
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024)
"""


def peak_mb(path, threads: int) -> float:
    out = subprocess.run([sys.executable, "-c", PROBE, str(path), str(threads)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return float(out.stdout.strip())


def test_a_huge_png_costs_about_its_decoded_size_once(big_png):
    decoded = SIDE * SIDE * 4 / 2**20
    one = peak_mb(big_png, 1)
    assert one < 1.6 * decoded, f"{one:.0f} MB for a {decoded:.0f} MB image"  # was ~4.8x (RGBA)
    four = peak_mb(big_png, 4)
    assert four < 1.6 * decoded, f"4 workers: {four:.0f} MB"  # was ~4x one decode


def test_a_decode_above_the_budget_is_refused_with_figures(big_png, monkeypatch):
    monkeypatch.setattr(imageio, "MAX_DECODE_BYTES", 64 << 20)
    with pytest.raises(imageio.ImageLoadError) as e:
        imageio.load_for_detection(big_png)
    assert e.value.reason == "too_large" and "MB" in str(e.value)
