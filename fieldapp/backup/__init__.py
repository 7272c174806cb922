"""Backups: one archive with the database, every stored file and a manifest; and restores."""
