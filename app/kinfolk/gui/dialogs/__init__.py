"""Dialogs and windows opened from the main window: welcome, settings, model setup, file pickers.

Modules are imported by their full name; this package imports nothing (importing one module must
not load its siblings).
"""
