"""cryptodesk.store: the embedded DuckDB store (schema, transactional ingest, point-in-time frames)."""

from cryptodesk.store._ingest import TableResult
from cryptodesk.store.db import FileRecord, IngestResult, Store
from cryptodesk.store.preference import SOURCE_PREFERENCE

__all__ = ["SOURCE_PREFERENCE", "FileRecord", "IngestResult", "Store", "TableResult"]
