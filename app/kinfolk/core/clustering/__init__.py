"""Grouping unknown faces into likely people: the k-NN graph, the gated agglomeration, and applying
groups to the index with stable group ids.

Modules are imported by their full name; this package imports nothing (importing one module must
not load its siblings).
"""
