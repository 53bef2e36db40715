"""Kinfolk: organize a photo library by the people in it, offline."""
__version__ = "0.1.0"
