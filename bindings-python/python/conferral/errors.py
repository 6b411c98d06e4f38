"""Exceptions: a base ``ConferralError`` and one subclass per error kind of the library.

An exception means an operation could not run at all (the file is not a spreadsheet, a limit
was hit, the group is malformed). Problems found *inside* a roster are findings in the report,
never exceptions.
"""
from typing import Dict, Type


class ConferralError(Exception):
    """Base class of conferral's errors. ``kind`` is the stable snake_case error kind."""

    kind: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _subclass(name: str, kind: str, doc: str) -> Type[ConferralError]:
    return type(name, (ConferralError,), {"kind": kind, "__doc__": doc, "__module__": __name__})


UnsupportedFormatError = _subclass("UnsupportedFormatError", "unsupported_format", "The bytes are not a format conferral reads.")
MalformedFileError = _subclass("MalformedFileError", "malformed_file", "The file claims a supported format but its structure is broken.")
LimitExceededError = _subclass("LimitExceededError", "limit_exceeded", "The file exceeds a limit (bytes, rows, columns, cell length, decompressed size).")
EncryptedError = _subclass("EncryptedError", "encrypted", "The workbook is encrypted or password protected.")
SheetNotFoundError = _subclass("SheetNotFoundError", "sheet_not_found", "The requested sheet does not exist.")
EmptyFileError = _subclass("EmptyFileError", "empty_file", "The file holds no header row or no data.")
InvalidHeaderRowError = _subclass("InvalidHeaderRowError", "invalid_header_row", "The requested header row is outside the sheet.")
InvalidGroupError = _subclass("InvalidGroupError", "invalid_group", "The group definition is malformed.")
InvalidMappingError = _subclass("InvalidMappingError", "invalid_mapping", "The mapping names a column or attribute that does not exist.")
OutputError = _subclass("OutputError", "output", "Writing a template or an error report failed.")
InvalidTemplateError = _subclass("InvalidTemplateError", "invalid_template", "An email template does not compile or uses an unknown merge field.")
InvalidValueError = _subclass("InvalidValueError", "invalid_value", "A value breaks its attribute's rules.")
IllegalTransitionError = _subclass("IllegalTransitionError", "illegal_transition", "The credential's state does not allow the operation.")
NotFoundError = _subclass("NotFoundError", "not_found", "No credential, batch or message has the given id.")
InvalidConfigError = _subclass("InvalidConfigError", "invalid_config", "Issuer settings are malformed.")
ConflictError = _subclass("ConflictError", "conflict", "A write conflicts with what is stored.")
StorageError = _subclass("StorageError", "storage", "The store failed.")
MailError = _subclass("MailError", "mail", "The mailer could not be used.")
CancelledError = _subclass("CancelledError", "cancelled", "The operation was stopped by its caller.")
InvalidCredentialError = _subclass("InvalidCredentialError", "invalid_credential", "A verifiable credential cannot be built, signed or read.")

BY_KIND: Dict[str, Type[ConferralError]] = {
    cls.kind: cls
    for cls in [
        UnsupportedFormatError, MalformedFileError, LimitExceededError, EncryptedError,
        SheetNotFoundError, EmptyFileError, InvalidHeaderRowError, InvalidGroupError,
        InvalidMappingError, OutputError, InvalidTemplateError, InvalidValueError,
        IllegalTransitionError, NotFoundError, InvalidConfigError, ConflictError,
        StorageError, MailError, CancelledError, InvalidCredentialError,
    ]
}


def from_kind(kind: str, message: str) -> ConferralError:
    """The exception of ``kind`` (the base class for a kind this version does not know)."""
    cls = BY_KIND.get(kind)
    if cls is None:
        error = ConferralError(message)
        error.kind = kind
        return error
    return cls(message)
