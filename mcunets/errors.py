"""Errors mcunets expects and reports as one line (the CLI turns them into exit codes)."""


class McunetsError(Exception):
    """A problem with the user's input or environment, worded as one line that says what to do."""

    exit_code = 1


class UnsupportedOpError(McunetsError):
    """A model uses an operator or parameter a runtime cannot handle."""


class FitError(McunetsError):
    """A model does not fit the memory of the chosen board."""


class PlatformUnavailableError(McunetsError):
    """PlatformIO could not install the board's platform or toolchain (for example, offline)."""

    exit_code = 3


class Interrupted(McunetsError):
    """The user pressed Ctrl-C; what was finished is kept, nothing half-written is."""

    exit_code = 130
