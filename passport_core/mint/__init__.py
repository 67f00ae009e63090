"""Minting: building and signing passports."""

from __future__ import annotations

from passport_core.mint.minter import DEFAULT_TTL, Minter

__all__ = ["DEFAULT_TTL", "Minter"]
