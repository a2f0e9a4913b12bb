"""Authenticated mode: only requests signed by the Bot Connector reach the bot.

The SDK's validator takes its signing keys from Bot Framework's or the tenant's key set, at URLs
it does not let anyone change. samskap's validator extends it with a key set URL (`keys_url`),
so here the tokens are signed with a test key and the keys are served on 127.0.0.1.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from fake_connector import TENANT, FakeConnector
from teams_harness import TeamsHarness

from adapters.teams.options import TeamsOptions
from bot.clock import FakeClock
from bot.config import Secret
from storage.repositories.teams import Tenants

APP_ID = "6f1d0b8e-3c4a-4d2e-9b7f-0a1b2c3d4e5f"
KID = "test-key-1"
ISSUER = "https://api.botframework.com"


class FixedToken:
    async def token(self) -> str:
        return "outbound-test-token"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
async def signed() -> AsyncIterator[tuple[rsa.RSAPrivateKey, str]]:
    """A signing key and the URL of a key set that holds its public half."""
    key = new_key()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    keys = {"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]}

    async def serve_keys(_request: web.Request) -> web.Response:
        return web.json_response(keys)

    app = web.Application()
    app.router.add_get("/keys", serve_keys)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield key, f"http://127.0.0.1:{runner.addresses[0][1]}/keys"
    await runner.cleanup()


@pytest.fixture
async def secured(
    connector: FakeConnector, database_url: str, signed: tuple[rsa.RSAPrivateKey, str]
) -> AsyncIterator[TeamsHarness]:
    options = TeamsOptions(app_id=APP_ID, app_secret=Secret("s3cret"), tenant_id=TENANT, keys_url=signed[1])
    harness = await TeamsHarness(connector, database_url, FakeClock(), options=options, tokens=FixedToken()).start()
    yield harness
    await harness.close()


def token(key: rsa.RSAPrivateKey, service_url: str, **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": APP_ID, "serviceurl": service_url, "nbf": now - 10, "exp": now + 600, **changes}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


async def test_a_signed_request_reaches_the_bot_and_its_answer_carries_the_bots_token(
    secured: TeamsHarness, connector: FakeConnector, signed: tuple[rsa.RSAPrivateKey, str]
) -> None:
    activity = secured.activity("kari", secured.in_personal_chat("kari"), text="samskap")
    bearer = token(signed[0], connector.service_url)
    assert await secured.post(activity, {"Authorization": f"Bearer {bearer}"}) == 202
    answers = [r for r in connector.requests if r.method == "POST"]
    assert answers and {r.authorization for r in answers} == {"Bearer outbound-test-token"}


@pytest.mark.parametrize(
    "how",
    ["none", "not bearer", "garbage", "other key", "unsigned", "wrong audience", "wrong issuer", "expired",
     "other service url"],
)  # fmt: skip
async def test_requests_without_a_valid_bot_connector_token_are_refused(
    secured: TeamsHarness, connector: FakeConnector, signed: tuple[rsa.RSAPrivateKey, str], how: str
) -> None:
    key, url = signed[0], connector.service_url
    headers = {
        "none": {},
        "not bearer": {"Authorization": f"Basic {token(key, url)}"},
        "garbage": {"Authorization": "Bearer not.a.token"},
        "other key": {"Authorization": f"Bearer {token(new_key(), url)}"},
        "unsigned": {"Authorization": "Bearer " + jwt.encode({"iss": ISSUER, "aud": APP_ID}, None, algorithm="none")},
        "wrong audience": {"Authorization": f"Bearer {token(key, url, aud='someone-else')}"},
        "wrong issuer": {"Authorization": f"Bearer {token(key, url, iss='https://evil.example')}"},
        "expired": {"Authorization": f"Bearer {token(key, url, exp=int(time.time()) - 3600)}"},
        "other service url": {"Authorization": f"Bearer {token(key, 'https://evil.example/')}"},
    }[how]
    activity = secured.activity("kari", secured.in_personal_chat("kari"), text="samskap")
    assert await secured.post(activity, headers) == 401
    assert connector.requests == []  # nothing was answered, nothing was remembered
    async with secured.bot.db.read() as s:
        assert await Tenants(s).get(TENANT) is None


async def test_the_operations_routes_need_no_token(secured: TeamsHarness) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{secured.url}/healthz") as response:
        assert response.status == 200
