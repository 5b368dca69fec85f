"""Compiled backends: native (libfastact via Cython)."""
