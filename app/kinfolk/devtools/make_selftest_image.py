"""Draw the self-test face: a cartoon face (ellipses and lines, no photo of anyone) that dlib's HOG
detector finds, so ``kinfolk --self-test`` can prove detection and embedding work in a frozen build
without shipping a real person's photo.

Run after changing the drawing and commit the output (a few KB):

    python -m kinfolk.devtools.make_selftest_image

Output: ``app/kinfolk/resources/selftest/drawn-face.png`` (160×160). Measured with dlib-bin 20.0:
raw HOG margins 1.2–1.6 at 120–260 px, with and without upsampling (real faces mostly score 0.5–3).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

OUT = Path(__file__).resolve().parents[1] / "resources" / "selftest" / "drawn-face.png"
SIZE = 160


def draw_face(size: int = SIZE) -> Image.Image:
    """An RGB ``size``×``size`` drawing of a frontal face: hair, skin, eyes, brows, nose, mouth."""
    img = Image.new("RGB", (size, size), (200, 210, 220))
    d = ImageDraw.Draw(img)
    cx, cy = size / 2, size * 0.52
    fw, fh = size * 0.30, size * 0.40  # half width / half height of the face
    d.ellipse([cx - fw * 1.08, cy - fh * 1.08, cx + fw * 1.08, cy + fh * 0.3], fill=(60, 40, 30))
    d.rectangle([cx - fw * 0.45, cy + fh * 0.7, cx + fw * 0.45, size], fill=(200, 150, 120))
    d.ellipse([cx - fw, cy - fh * 0.85, cx + fw, cy + fh], fill=(225, 175, 145))
    ey, ex = cy - fh * 0.12, fw * 0.42
    for side in (-1, 1):
        x = cx + side * ex
        d.ellipse([x - fw * 0.22, ey - fh * 0.07, x + fw * 0.22, ey + fh * 0.07], fill=(245, 240, 235))
        d.ellipse([x - fw * 0.09, ey - fh * 0.07, x + fw * 0.09, ey + fh * 0.07], fill=(60, 40, 30))
        d.ellipse([x - fw * 0.04, ey - fh * 0.03, x + fw * 0.04, ey + fh * 0.03], fill=(10, 10, 10))
        d.line([x - fw * 0.25, ey - fh * 0.17, x, ey - fh * 0.21, x + fw * 0.25, ey - fh * 0.16],
               fill=(70, 45, 30), width=max(2, int(size * 0.02)))
    ny = cy + fh * 0.22
    d.polygon([(cx - fw * 0.03, ey + fh * 0.02), (cx - fw * 0.15, ny), (cx + fw * 0.15, ny)],
              fill=(210, 155, 125))
    d.ellipse([cx - fw * 0.18, ny - fh * 0.05, cx + fw * 0.18, ny + fh * 0.04], fill=(195, 140, 115))
    my = cy + fh * 0.47
    d.chord([cx - fw * 0.38, my - fh * 0.08, cx + fw * 0.38, my + fh * 0.1], 0, 180, fill=(150, 60, 60))
    d.line([cx - fw * 0.38, my + fh * 0.01, cx + fw * 0.38, my + fh * 0.01], fill=(110, 40, 40), width=2)
    img = img.filter(ImageFilter.GaussianBlur(size * 0.008))
    # darken towards the face's edge, as light falls off on a round face
    a = np.asarray(img).astype(np.float32)
    yy, xx = np.mgrid[0:size, 0:size]
    r = np.sqrt(((xx - cx) / fw) ** 2 + ((yy - cy) / fh) ** 2)
    a *= np.clip(1.0 - 0.25 * np.clip(r - 0.5, 0, 1), 0.7, 1)[..., None]
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    draw_face().save(OUT, optimize=True)
    print(OUT)
