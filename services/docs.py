"""The API documents: AsyncAPI per service (from its FastStream app) and OpenAPI (gateway).

Built from each service's composition root with default settings: nothing connects.
"""

from __future__ import annotations

import importlib
from typing import Any

from faststream.specification import AsyncAPI

from services.platform import SERVICES


def asyncapi_documents() -> dict[str, Any]:
    documents: dict[str, Any] = {}
    for service in SERVICES:
        app_module = importlib.import_module(f"services.{service}.app")
        settings_module = importlib.import_module(f"services.{service}.settings")
        settings_cls = getattr(settings_module, f"{service.capitalize()}Settings")
        app = app_module.build_app(
            settings_cls(database_url="sqlite+aiosqlite://", nats={"url": "nats://nats:4222"})
        )
        description = (importlib.import_module(f"services.{service}").__doc__ or "").strip()
        spec = AsyncAPI(
            app.bus.broker, title=f"reso {service}", version="1.0.0", description=description
        )
        documents[service] = spec.to_specification().to_jsonable()
    return documents


def openapi_document() -> dict[str, Any]:
    from services.gateway.app import create_app
    from services.gateway.settings import GatewaySettings

    return create_app(GatewaySettings(database_url="sqlite+aiosqlite://")).openapi()
