"""Reading photos: decoding (EXIF orientation, HEIC, RAW previews), capture dates, face thumbnails.

Modules are imported by their full name; this package imports nothing (importing one module must
not load its siblings).
"""
