"""Who is acting: `--actor`, else the operating-system user."""

from __future__ import annotations

import getpass


def resolve_actor(explicit: str | None) -> str:
    if explicit and explicit.strip():
        return explicit.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
