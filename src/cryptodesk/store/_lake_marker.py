"""The name of the file that marks a folder as a cryptodesk lake.

Kept apart from ``lake.py``, which imports pyarrow.dataset and pandas: finding the lakes inside a folder, as every
``cryptodesk import`` of a folder does, needs no more than this name.
"""

from typing import Final

LAKE_MARKER: Final = "_cryptodesk_lake.json"
"""The lake's marker and manifest at its root, written last (see :mod:`cryptodesk.store.lake`)."""
