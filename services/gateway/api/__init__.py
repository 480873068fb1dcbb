"""JSON API routes under ``/api/v1``."""
