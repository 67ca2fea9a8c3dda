"""Why an audit operation could not be carried out."""

from __future__ import annotations


class AuditError(Exception):
    """An audit operation was refused or could not complete; the message says why."""


class SigningUnavailableError(AuditError):
    """A tree head had to be signed, but no signing key is configured."""


class ExportError(AuditError):
    """The event log could not be exported as it stands."""


class ImportRefusedError(AuditError):
    """An export file was refused; nothing was imported."""


class ScratchStoreError(AuditError):
    """The scratch store for a replay is unusable (for example, not empty)."""
