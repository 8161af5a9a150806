"""Remembered API keys are forgotten everywhere the moment they are revoked or changed."""

from __future__ import annotations

import asyncio
import contextlib

from backend.accounts import key_cache
from backend.accounts import services as accounts
from backend.core import events
from tests.fixtures import actor_of, gql


async def test_another_process_revoking_a_key_evicts_it_here():
    actor = actor_of(
        {
            "id": 1,
            "public_id": "usr_x",
            "email": "a@example.com",
            "display_name": "A",
            "handle": "a",
            "platform_role": "creator",
            "locale": "en",
            "time_zone": "UTC",
            "region": "eu",
            "email_confirmed_at": None,
        }
    )
    key_cache.put("cdz_abcdefgh", "hash", actor)
    watcher = asyncio.create_task(key_cache.watch())
    try:
        await asyncio.sleep(0.05)  # subscribed
        # What another web process's announce() sends:
        await events.publish(key_cache.CHANNEL, {"prefix": "cdz_abcdefgh", "user_id": None})
        for _ in range(100):
            if key_cache.get("cdz_abcdefgh", "hash") is None:
                break
            await asyncio.sleep(0.01)
        assert key_cache.get("cdz_abcdefgh", "hash") is None
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def test_a_remembered_key_sees_a_profile_change_at_once(client, make_user):
    user = await make_user("cached@example.com", display_name="Before")
    _, secret = await accounts.create_api_key(actor_of(user), "k", ["read", "write"])
    assert (await gql(client, "{ viewer { displayName } }", key=secret))["data"]["viewer"][
        "displayName"
    ] == "Before"
    await gql(
        client, 'mutation { updateProfile(input: {displayName: "After"}) { errors { code } } }', key=secret
    )
    assert (await gql(client, "{ viewer { displayName } }", key=secret))["data"]["viewer"][
        "displayName"
    ] == "After"


async def test_a_wrong_secret_with_a_known_prefix_is_still_refused(client, make_user):
    user = await make_user("prefix@example.com")
    _, secret = await accounts.create_api_key(actor_of(user), "k", ["read"])
    await gql(client, "{ viewer { id } }", key=secret)  # now remembered
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    await gql(client, "{ viewer { id } }", key=forged, expect_status=401)
