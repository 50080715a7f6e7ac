"""Disposal rules without Django: the clocks of a disposal task and where each finding goes."""
