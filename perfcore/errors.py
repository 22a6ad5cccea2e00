"""The one exception tree of perfcore.

Every error a user can cause derives from :class:`PerfcoreError` and carries the
exit status the command line maps it to (see DESIGN.md, "Exit codes"):

    PerfcoreError            exit 2 unless a subclass says otherwise
    ├── InputError           bad input: missing file, malformed data, bad flag value
    │   ├── ConfigError      invalid [tool.perfcore] settings
    │   └── SchemaError      a data file with an unknown or broken schema
    ├── BaselineError        no usable baseline, or baselines from another machine
    ├── ComparisonError      nothing could be compared (zero comparisons is never a pass)
    └── ServiceError         a server we started failed to start or died

    InputWarning             a value in an input file that cannot be used and was skipped
                             (printed as one ``perfcore: warning:`` line; the read goes on)

Anything else escaping a command is a perfcore bug: the command line prints one
``internal error`` line and exits 3 (see docs/errors.md).
"""

from __future__ import annotations

__all__ = [
    "BaselineError",
    "ComparisonError",
    "ConfigError",
    "InputError",
    "InputWarning",
    "PerfcoreError",
    "SchemaError",
    "ServiceError",
    "SkippedResultWarning",
]


class PerfcoreError(Exception):
    """Base of every error perfcore raises on purpose; never shown with a traceback."""

    exit_code: int = 2


class InputError(PerfcoreError):
    """The user gave input perfcore cannot use (file, flag, data)."""


class ConfigError(InputError):
    """The [tool.perfcore] settings or a command-line setting is invalid."""


class SchemaError(InputError):
    """A data file is corrupt, empty, or written in a schema perfcore does not know."""


class BaselineError(PerfcoreError):
    """No usable baseline exists, or it was recorded on another machine."""


class ComparisonError(PerfcoreError):
    """Nothing could be compared; a gate with zero comparisons must not pass."""


class ServiceError(PerfcoreError):
    """A server or subprocess perfcore started could not start or died."""


class InputWarning(UserWarning):
    """A value in an input file could not be used and was skipped; the read went on."""


class SkippedResultWarning(InputWarning):
    """A whole result could not be read and was left out: the gate must not call it missing."""

    def __init__(self, message: str, result_id: str) -> None:
        super().__init__(message)
        self.result_id = result_id
