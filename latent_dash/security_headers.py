"""Security headers on every response the app's server sends.

- `X-Content-Type-Options: nosniff`: a browser never runs an answer as another type than sent.
- `Content-Security-Policy: frame-ancestors 'self'` and `X-Frame-Options: SAMEORIGIN` (for
  older browsers): no other site can frame the pages (clickjacking). The Python API's app is
  shown inside Jupyter, another origin, so it is created `embeddable` and sends no frame policy.
- `Referrer-Policy: same-origin`: addresses with `?config=...` never leak to other sites.
A full script policy is not set: Dash's index page runs inline scripts.
"""

from __future__ import annotations

from flask import Flask, Response

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
FRAME_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'self'",
    "X-Frame-Options": "SAMEORIGIN",
}


def security_headers(embeddable: bool = False) -> dict[str, str]:
    """The headers every response gets."""
    return dict(BASE_HEADERS) if embeddable else {**BASE_HEADERS, **FRAME_HEADERS}


def register_security_headers(server: Flask, *, embeddable: bool = False) -> None:
    headers = security_headers(embeddable)

    @server.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
