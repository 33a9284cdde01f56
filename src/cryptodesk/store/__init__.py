"""cryptodesk.store."""
