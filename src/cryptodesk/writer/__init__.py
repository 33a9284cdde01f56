"""cryptodesk.writer: the story writer.

``story.write_story`` turns an Analysis, ranked events and the macro calendar into a
:class:`~cryptodesk.writer.story.Story` whose every printed figure is a span bound to a
fact in the ledger (``ledger``); ``phrasing`` holds the pure AP-style text functions and
``render`` the Markdown, report-JSON and HTML renderers.
"""
