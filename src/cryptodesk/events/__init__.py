"""cryptodesk.events."""
