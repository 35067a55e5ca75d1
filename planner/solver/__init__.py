"""Solving: the one pipeline, the HiGHS hand-off, warm updates, checks and diagnosis."""
