"""Tests of the file importers (cryptodesk.sources.files)."""
