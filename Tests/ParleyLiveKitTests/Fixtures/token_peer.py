# SPDX-License-Identifier: Apache-2.0
"""Token interop peer: the official livekit-api SDK mints and verifies tokens for the Swift tests.

usage: token_peer.py mint KEY SECRET        -> prints a JWT
       token_peer.py verify KEY SECRET TOKEN -> prints the verified claims as JSON, or exits 1 with the error
"""
import dataclasses
import json
import sys

from livekit import api
from livekit.protocol.room import RoomConfiguration
from livekit.protocol.agent_dispatch import RoomAgentDispatch


def mint(key, secret):
    token = (
        api.AccessToken(key, secret)
        .with_identity("python-caller")
        .with_name("Py Caller")
        .with_metadata('{"plan":"pro"}')
        .with_attributes({"lang": "en"})
        .with_kind("agent")
        .with_grants(api.VideoGrants(room_join=True, room="room-7", can_publish=False, can_subscribe=True,
                                     can_publish_data=True, can_publish_sources=["microphone"]))
        .with_room_config(RoomConfiguration(empty_timeout=30, max_participants=2,
                                            agents=[RoomAgentDispatch(agent_name="support-agent", metadata='{"stt":"x"}')]))
    )
    print(token.to_jwt())


def verify(key, secret, token):
    try:
        claims = api.TokenVerifier(key, secret).verify(token)
    except Exception as e:  # the test reads the message
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
    out = {
        "identity": claims.identity,
        "name": claims.name,
        "metadata": claims.metadata,
        "attributes": claims.attributes,
        "kind": claims.kind,
        "video": dataclasses.asdict(claims.video) if claims.video else None,
        "room_config": None,
    }
    if claims.room_config is not None:
        from google.protobuf.json_format import MessageToDict
        out["room_config"] = MessageToDict(claims.room_config)
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "mint":
        mint(sys.argv[2], sys.argv[3])
    elif cmd == "verify":
        verify(sys.argv[2], sys.argv[3], sys.argv[4])
