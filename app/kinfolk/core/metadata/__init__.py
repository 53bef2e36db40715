"""Names other tools keep in photos: XMP (MWG and Microsoft regions), Picasa's .picasa.ini, and
Kinfolk's own XMP sidecars.

Modules are imported by their full name; this package imports nothing (importing one module must
not load its siblings).
"""
