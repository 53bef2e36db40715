"""Scanning photo folders into the index: the pipeline, the one-scan-per-library lock, missing photos.

Modules are imported by their full name; this package imports nothing (importing one module must
not load its siblings).
"""
