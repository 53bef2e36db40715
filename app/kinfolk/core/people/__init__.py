"""The user's decisions and what follows from them: naming and the other edits, matching faces to
named people, thresholds and their calibration, drawn faces, forgetting a person.

Modules are imported by their full name; this package imports nothing (importing one module must
not load its siblings).
"""
