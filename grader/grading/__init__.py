"""Grading: one part (``part``), one submission (``submission``), a batch (``batch``), reports."""
