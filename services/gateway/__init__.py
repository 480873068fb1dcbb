"""gateway: the HTTP face of reso (FastAPI).

JSON API under ``/api/v1`` (OpenAPI at ``/api/openapi.json``), staff authentication by API token,
health endpoints. It owns no domain data: it asks the services by NATS request/reply. It stores
only staff accounts (hashed tokens) in its own database.
"""
