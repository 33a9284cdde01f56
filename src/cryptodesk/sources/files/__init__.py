"""cryptodesk.sources.files."""
