"""Coverscope: cover song identification you can check."""

__version__ = "0.1.0"
