"""The desk: the one facade that the CLI, the web app and alerts call.

``Desk`` is assembled from one module per capability (``desk/core.py``: import,
analyze, detect, report, inventory; later modules add checking, charts and live
collection), so each stays small while interfaces see one object.
"""

from cryptodesk.desk.core import Desk, FileOutcome, ImportReport

__all__ = ["Desk", "FileOutcome", "ImportReport"]
