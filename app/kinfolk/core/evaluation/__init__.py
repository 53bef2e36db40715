"""Measuring accuracy on labeled photos: clustering metrics, labeled sets, the LFW pairs protocol.

Modules are imported by their full name; this package imports nothing (importing one module must
not load its siblings).
"""
