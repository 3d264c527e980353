"""Data, not code: lexicons, patterns, role labels and the skill map.

This folder ships inside the installed package as ``analyzer.models`` and is
read with :mod:`importlib.resources`.  Every file names its source or
rationale.  Edit a copy and point the analyzer at it to change behaviour
without touching code.
"""
