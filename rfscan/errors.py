"""Exceptions of rfscan: one root, a few meaningful kinds.

Every failure a user can cause or meet (bad input file, unreachable dongle,
malformed scene) is raised as a subclass of :class:`RfscanError`; library
errors are wrapped with ``raise ... from err``.  The CLI prints the message as
one line on stderr and exits with :attr:`RfscanError.exit_code`.
"""

from __future__ import annotations


class RfscanError(Exception):
    """Root of every error rfscan raises on purpose."""

    exit_code: int = 1


class InputError(RfscanError):
    """A recording or its metadata is unusable (truncated, inconsistent, unknown format...)."""

    exit_code = 3


class MissingParameterError(InputError):
    """A raw recording lacks something that cannot be inferred (sample rate, frequency, format)."""


class SceneError(RfscanError):
    """A simulator scene file is malformed or asks for something impossible."""

    exit_code = 3


class SourceError(RfscanError):
    """A radio source (dongle, rtl_tcp server, simulated tuner) failed."""

    exit_code = 4


class BandPlanError(RfscanError):
    """The band plan data or a region name is invalid."""

    exit_code = 3
