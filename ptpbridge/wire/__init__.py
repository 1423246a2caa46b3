"""Wire formats: the canonical definition of every packet we speak.

Nothing here does I/O or reads a clock; protocol cores and tools build on it.
"""
