"""Readers and writers of order files: rows in, validated records out. No database."""
