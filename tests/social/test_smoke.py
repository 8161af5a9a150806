from __future__ import annotations

from tests.fixtures import gql, log_in
from tests.social.helpers import publish_via_api, settle, tone_wav, upload


async def test_publish_from_upload_goes_live_with_waveform(client, make_user, workers):
    await make_user("creator@example.com", display_name="Cora Creator")
    await log_in(client, "creator@example.com")
    upload_id = await upload(client, tone_wav(35))
    result = await publish_via_api(
        client, title="First light", genre="reel", uploadId=upload_id, tags=["fiddle"]
    )
    assert result["errors"] == [], result
    release_id = result["release"]["id"]
    await settle(("social.", "audio."), within=60)
    body = await gql(
        client,
        "query($id: ID!) { release(id: $id) { status duration peaks stream { url threshold } } }",
        {"id": release_id},
    )
    release = body["data"]["release"]
    assert release["status"] == "PUBLISHED", body
    assert 34 < release["duration"] < 36
    assert len(release["peaks"]) > 50
    assert release["stream"]["threshold"] == 30
