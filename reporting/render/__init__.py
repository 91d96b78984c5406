"""Figures → people: charts, the HTML page, the PDF, CSV and XLSX files.

Every renderer takes the factsheet's `figures` (a dict made by `reporting.compile`) and a few
facts about the version (`FactsheetMeta`), never the database: rendering a version twice gives
the same content.
"""

from __future__ import annotations

from .base import FactsheetMeta, meta_of
from .files import render_files

__all__ = ["FactsheetMeta", "meta_of", "render_files"]
