"""cryptodesk.analytics."""
