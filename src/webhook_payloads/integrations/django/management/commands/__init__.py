"""``manage.py webhook_payloads``: replay and prune the inbox."""
