"""``python -m webhook_payloads``: the same command line as ``webhook-payloads``."""

from ._cli import main

raise SystemExit(main())
