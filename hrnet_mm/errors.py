"""The exceptions hrnet_mm raises, in one place, so callers can catch them by class.

This module imports nothing, so any layer (models, weights, engine hooks, preflight,
tools) may use it without pulling in another.  Each class keeps the built-in base its
callers already catch (``ValueError``, ``FileNotFoundError`` ...).
"""


class ConfigError(ValueError, AssertionError):
    """A model argument (``arch``, ``extra``, ``out_form``, ...) is invalid.

    It is a ``ValueError`` (what the message is about) and an ``AssertionError``: the
    toolboxes' own HRNet copies validate ``extra`` with ``assert``, so code written for
    them (and their unit tests) catch ``AssertionError``; both keep working.
    """


# -- checkpoints ------------------------------------------------------------------------
class CheckpointLoadError(RuntimeError):
    """A checkpoint file exists but cannot be read."""


class CheckpointNotFoundError(FileNotFoundError):
    """A checkpoint the run asked for is not there."""


class UntrustedCheckpointError(CheckpointLoadError):
    """A checkpoint needs objects beyond tensors and mmengine's known training state."""


class IncompatibleCheckpointError(RuntimeError):
    """A checkpoint does not hold the weights of the model it is loaded into."""


# -- what a run needs before it starts --------------------------------------------------
class DatasetNotFoundError(FileNotFoundError):
    """A dataset path named by the config does not exist."""


class DataCheckError(ValueError):
    """A dataset the run needs has files that would crash it or silently mislead it."""


class DistBackendError(RuntimeError):
    """The configured torch.distributed backend cannot run on this machine."""


class ConfigFileError(ValueError):
    """The config file itself cannot be read (a syntax error, a missing base)."""


class ConfigOptionError(ValueError):
    """A command-line option needs something the config does not have."""


class WorkDirBusyError(RuntimeError):
    """Another live run trains into the same work dir, or it is not writable."""


# -- during a run -----------------------------------------------------------------------
class NonFiniteLossError(FloatingPointError):
    """A training loss became NaN or infinite."""
