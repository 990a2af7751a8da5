"""ghostsync: keep a folder of Markdown files and a Ghost site in step."""

from __future__ import annotations

__version__ = "0.1.0"
