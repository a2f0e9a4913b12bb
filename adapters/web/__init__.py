"""Web pages samskap serves on its HTTP port, beside the operator's routes (adapters/ops_http.py)."""

from adapters.web.leaders import leader_routes

__all__ = ["leader_routes"]
