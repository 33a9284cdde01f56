"""Charts: static (matplotlib PNG/SVG) and interactive (Plotly HTML) in one house style, and the HTML report page.

Builders (``build.build_chart``) are pure functions of point-in-time frames,
the analysis and the events; renderers (``static.render_static``,
``interactive.render_interactive``) draw the resulting spec. Nothing here reads
the store or the network.
"""

import os

# matplotlib writes a font cache on first import: keep it out of a possibly read-only home.
os.environ.setdefault("MPLCONFIGDIR", "/tmp/cryptodesk-mpl")
