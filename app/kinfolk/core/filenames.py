"""File names as people see them. Paths are kept exactly as the OS gives them (``str`` with
surrogate escapes for bytes that are not UTF-8, stored losslessly by ``db.binding``); this module only
turns such a name, or a message quoting one, into text that can be printed, logged or shown.
"""

from __future__ import annotations


def readable(text: str) -> str:
    """``text`` with every byte that is not UTF-8 written as ``\\xNN`` (``caf\\xe9.jpg``).

    For display only: never open a file by the result (use the original ``str``)."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that did not come from the OS
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
