"""Counting attempts (sign-ins, public requests) per key, correctly under concurrency."""
