"""Adapters translate between a chat platform and the core (`bot`)."""
