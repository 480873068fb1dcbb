"""The session cookie's attributes, and when the site counts as served over https."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.responses import Response

from services.gateway.security import served_over_https, set_session_cookie
from services.gateway.settings import GatewaySettings
from services.runtime.settings import CentreSettings


@pytest.mark.parametrize(
    ("public_url", "https", "secure"),
    [
        ("https://crpv.example.org", None, True),
        ("http://127.0.0.1:8000", None, False),
        ("http://127.0.0.1:8000", True, True),  # TLS ended by a proxy, public URL not updated
        ("https://crpv.example.org", False, False),
    ],
)
def test_the_session_cookie_is_httponly_lax_and_secure_over_https(
    public_url: str, https: bool | None, secure: bool
) -> None:
    settings = GatewaySettings(centre=CentreSettings(public_url=public_url), https=https)
    response = Response()

    set_session_cookie(response, settings, "jeton", datetime(2030, 1, 1, tzinfo=UTC))
    cookie = response.headers["set-cookie"]

    assert served_over_https(settings) is secure
    assert cookie.startswith("reso_session=jeton;")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert ("Secure" in cookie) is secure


def test_a_malformed_rate_limit_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="rate_limit_per_ip"):
        GatewaySettings(rate_limit_per_ip="beaucoup")
