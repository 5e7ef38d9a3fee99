"""Notebooks nobody here wrote (papermill's own test notebooks) and hostile ones, for engine equivalence."""
