"""Errors the domain raises; surfaces translate them into their own replies."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the core raises on purpose."""


class NotFound(DomainError):
    """The thing named does not exist (or is not visible to the asker)."""


class NotAuthorized(DomainError):
    """The member's role does not allow the action on that store."""


class InvalidState(DomainError):
    """The action does not fit the current state (e.g. a draft already sent)."""


class InvalidInput(DomainError):
    """A request is malformed; the message names the field."""
