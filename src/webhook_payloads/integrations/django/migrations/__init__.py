"""Migrations of the inbox app (written by makemigrations)."""
