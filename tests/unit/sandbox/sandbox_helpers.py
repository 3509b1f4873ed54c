"""Shared helpers for the sandbox tests: signed requests without the project's client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from bot.sandbox import Sandbox, SandboxConfig
from bot.zadarma.signing import build_query, encode_pairs, param_to_str, sign

START = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)
KEY = "test-key"
SECRET = "test-secret"

Params = Mapping[str, Any]


def make_sandbox(**overrides: Any) -> Sandbox:
    """A sandbox with test credentials and a frozen clock (2025-01-15 09:30 UTC)."""
    settings: dict[str, Any] = {"key": KEY, "secret": SECRET, "start_time": START}
    settings.update(overrides)
    return Sandbox(SandboxConfig(**settings))


def auth_header(path: str, params: Params, key: str = KEY, secret: str = SECRET) -> str:
    """``<key>:<signature>`` for ``params`` on ``path``."""
    return f"{key}:{sign(path, build_query(params), secret)}"


class SignedClient:
    """Makes signed requests the way API-NOTES.md describes, over any httpx client."""

    def __init__(self, http: httpx.AsyncClient, key: str = KEY, secret: str = SECRET) -> None:
        self.http = http
        self.key = key
        self.secret = secret

    async def get(self, path: str, params: Params | None = None) -> httpx.Response:
        """GET with the canonical query in the URL."""
        query = build_query(params or {})
        headers = {"Authorization": auth_header(path, params or {}, self.key, self.secret)}
        return await self.http.get(f"{path}?{query}", headers=headers)

    async def send(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        *,
        order: Sequence[str] | None = None,
    ) -> httpx.Response:
        """POST/PUT an urlencoded body, fields in ``order`` if given (the signature stays canonical)."""
        fields = {k: param_to_str(v) for k, v in (params or {}).items()}
        fields.setdefault("format", "json")
        if order is not None:
            names = list(order) + [k for k in fields if k not in order]
            body = encode_pairs((k, fields[k]) for k in names)
        else:
            body = build_query(fields)
        headers = {
            "Authorization": auth_header(path, params or {}, self.key, self.secret),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return await self.http.request(method, path, content=body.encode("ascii"), headers=headers)

    async def post(self, path: str, params: Params | None = None, **kw: Any) -> httpx.Response:
        """Signed urlencoded POST."""
        return await self.send("POST", path, params, **kw)

    async def put(self, path: str, params: Params | None = None, **kw: Any) -> httpx.Response:
        """Signed urlencoded PUT."""
        return await self.send("PUT", path, params, **kw)

    async def upload(
        self,
        group_id: int,
        document_type: str,
        filename: str,
        content: bytes,
        path: str = "/v1/documents/upload/",
    ) -> httpx.Response:
        """Signed multipart upload: the form fields are signed, the file is not."""
        fields = {"group_id": str(group_id), "document_type": document_type, "format": "json"}
        headers = {"Authorization": auth_header(path, fields, self.key, self.secret)}
        files = {"file": (filename, content, "application/octet-stream")}
        return await self.http.post(path, data=fields, files=files, headers=headers)

    async def ok(self, method: str, path: str, params: Params | None = None) -> dict[str, Any]:
        """A request that must succeed; returns the JSON body."""
        if method == "GET":
            response = await self.get(path, params)
        else:
            response = await self.send(method, path, params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["status"] == "success", body
        return body

    async def error(self, method: str, path: str, params: Params | None = None, status: int = 400) -> str:
        """A request that must fail with ``status``; returns the error message."""
        if method == "GET":
            response = await self.get(path, params)
        else:
            response = await self.send(method, path, params)
        assert response.status_code == status, response.text
        body = response.json()
        assert body["status"] == "error", body
        message: str = body["message"]
        return message


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"

COMPLETE_GROUP = {
    "email": "anna.kowalska@example.com",
    "salutation": "MS",
    "first_name": "Anna",
    "last_name": "Kowalska",
    "country": "PL",
    "city": "Warszawa",
    "address": "ul. Marszałkowska 10, 00-001 Warszawa",
    "zip_code": "00-001",
    "street": "Marszałkowska",
    "building_number": "10",
    "phone": "+48221234567",
    "nationality": "PL",
    "date_of_birth": "1985-04-12",
    "type_of_id": "PASSPORT",
    "id_number": "AB1234567",
    "issuing_date": "2020-01-01",
}
