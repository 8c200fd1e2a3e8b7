"""Errors that reach a user: each says what went wrong and what to do next."""

from __future__ import annotations


class WeldctlError(Exception):
    """An error with a one-line message and a hint at the next step."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  → {self.hint}"


class RigFileError(WeldctlError):
    """A rig file that cannot be read or does not validate."""


class RunIdError(WeldctlError):
    """A run id that is unsafe as a folder name or already taken."""


class StoreError(WeldctlError):
    """A run store that is missing, corrupt, or not what the schema says."""
