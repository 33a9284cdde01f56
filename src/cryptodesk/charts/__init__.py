"""cryptodesk.charts."""
