"""The main window's views (library, people, groups, suggestions, search) and the photo viewer.

Modules are imported by their full name; this package imports nothing (importing one module must
not load its siblings).
"""
