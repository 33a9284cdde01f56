"""cryptodesk.writer."""
