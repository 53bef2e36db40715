"""A photo's content fingerprint, so a moved photo is recognised and keeps its faces and names."""

from __future__ import annotations

import errno
import hashlib
import os
import stat


class NotAFileError(OSError):
    """Raised by :func:`file_hash` for a path that is not a regular file (never read)."""


HASH_SAMPLE = 1 << 16


def file_hash(path: str) -> str:
    """Content fingerprint used to recognise moved photos: blake2b-128 of the size and three 64 KiB
    samples (start, middle, end). Reading whole 5-25 MB camera files would cost more than decoding
    them at reduced scale; the samples cover the EXIF header (capture time, camera serial) and
    entropy-coded pixels, which differ between any two real photos."""
    h = hashlib.blake2b(digest_size=16)
    # O_NONBLOCK: a FIFO put where a photo was opens at once instead of blocking this worker forever.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise NotAFileError(errno.EINVAL, "not a regular file", path)
        size = st.st_size
        h.update(size.to_bytes(8, "little"))
        if size <= 3 * HASH_SAMPLE:
            h.update(f.read())
        else:
            for offset in (0, size // 2 - HASH_SAMPLE // 2, size - HASH_SAMPLE):
                f.seek(offset)
                h.update(f.read(HASH_SAMPLE))
    return h.hexdigest()
