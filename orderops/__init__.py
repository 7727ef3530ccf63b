"""orderops: order operations for a small shop, from the terminal."""

__version__ = "0.1.0"
