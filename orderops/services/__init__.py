"""One function per user action: open a transaction, load, decide, write, commit."""
