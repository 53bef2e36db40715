"""Finding and describing faces: detectors, alignment, quality, recognizers, model packs and
execution providers. Knows photos as pixels only; nothing here reads or writes the index.

Modules are imported by their full name; this package imports nothing (importing one module must
not load its siblings).
"""
