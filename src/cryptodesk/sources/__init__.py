"""cryptodesk.sources."""
