"""The exceptions hrnet_mm raises, in one place, so callers can catch them by class.

This module imports nothing, so any layer (models, weights, engine hooks, tools) may use
it without pulling in another.
"""


class ConfigError(ValueError, AssertionError):
    """A model argument (``arch``, ``extra``, ``out_form``, ...) is invalid.

    It is a ``ValueError`` (what the message is about) and an ``AssertionError``: the
    toolboxes' own HRNet copies validate ``extra`` with ``assert``, so code written for
    them (and their unit tests) catch ``AssertionError``; both keep working.
    """
