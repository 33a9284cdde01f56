"""``python -m cryptodesk``: the same as the ``cryptodesk`` command."""

from cryptodesk.cli import main

raise SystemExit(main())
