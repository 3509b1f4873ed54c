"""The shared vectors (``tests/signing_vectors.py``) against both sides.

The client's signer and the emulator's verifier are separate implementations
of PHP's ``http_build_query``; each must reproduce the hand-computed values, and
the emulator must accept exactly those bytes on the wire.
"""

from __future__ import annotations

import httpx
import pytest

from bot.sandbox import Sandbox, SandboxConfig
from bot.sandbox.auth import expected_signature, http_build_query, verify
from bot.zadarma.signing import build_query, encode_pairs, sign
from tests.signing_vectors import VECTORS, Vector

IDS = [v.name for v in VECTORS]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_client_side_builds_the_query_and_signature(vector: Vector) -> None:
    ordered = sorted(vector.params.items(), key=lambda kv: kv[0].encode())
    assert encode_pairs(ordered) == vector.query
    if "format" in vector.params:
        assert build_query(vector.params) == vector.query
    assert sign(vector.path, vector.query, vector.secret) == vector.signature


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_emulator_side_rebuilds_the_query_and_verifies(vector: Vector) -> None:
    assert http_build_query(vector.params) == vector.query
    assert expected_signature(vector.path, vector.params, vector.secret) == vector.signature
    assert verify(vector.path, vector.params, vector.signature, vector.secret)
    tampered = {**vector.params, "extra": "1"}
    assert not verify(vector.path, tampered, vector.signature, vector.secret)


_METHOD = {"/v1/direct_numbers/set_caller_name/": "PUT", "/v1/documents/groups/create/": "POST"}


async def _send(http: httpx.AsyncClient, vector: Vector, signature: str) -> httpx.Response:
    method = _METHOD.get(vector.path, "GET")
    headers = {"Authorization": f"K:{signature}"}
    if method == "GET":
        target = vector.path + (f"?{vector.query}" if vector.query else "")
        return await http.get(target, headers=headers)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return await http.request(method, vector.path, content=vector.query.encode(), headers=headers)


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
async def test_emulator_accepts_exactly_those_bytes_on_the_wire(vector: Vector) -> None:
    sandbox = Sandbox(SandboxConfig(key="K", secret=vector.secret))
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://127.0.0.1") as http:
        accepted = await _send(http, vector, vector.signature)
        refused = await _send(http, vector, "A" + vector.signature[1:])
    # Past the signature check (the route may still refuse the parameters themselves).
    assert accepted.status_code != 401, accepted.text
    assert refused.status_code == 401 and refused.json()["message"] == "Invalid signature"
