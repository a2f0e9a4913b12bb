"""Repositories: the only way features reach the database."""
