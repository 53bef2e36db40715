"""Widgets shared by the views: cards, face and photo grids, the photo canvas, status-bar pieces.

Modules are imported by their full name; this package imports nothing (importing one module must
not load its siblings).
"""
