"""CAIM: an open-source monitor of AI incidents and hazards."""

__version__ = "0.1.0"
