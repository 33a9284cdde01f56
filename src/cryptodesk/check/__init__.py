"""cryptodesk.check."""
