"""Every exception of the engine."""


class BackupFormatError(ValueError):
    """The file is not a valid backup; the message says what is wrong."""


class CycleError(ValueError):
    """Required references form a cycle: no insertion order exists."""


class RecordError(ValueError):
    """One record cannot be restored; ``field`` names the value at fault."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
