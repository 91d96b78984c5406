"""Yearly factsheets of results: filled by the factsheet issue."""
