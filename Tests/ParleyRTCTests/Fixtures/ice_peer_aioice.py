# SPDX-License-Identifier: Apache-2.0
#
# A real ICE peer for ICEInteropTests: an aioice Connection (the ICE agent aiortc uses) on
# 127.0.0.1, exchanging credentials and candidates with the Swift test as JSON lines.
#
#   python3 ice_peer_aioice.py --role controlling|controlled
#
# stdout, one JSON object per line:
#   {"ufrag": ..., "pwd": ..., "candidates": ["<foundation> 1 udp ... typ host", ...]}
#   {"connected": true, "selected": "127.0.0.1:P -> 127.0.0.1:Q"}   after connect()
#   {"received": "<text>"}                                           the first datagram received
# stdin, one JSON object per line:
#   {"ufrag": ..., "pwd": ..., "candidates": [...]}  the Swift agent's; end-of-candidates follows
#   {"close": true}                                  then the script exits
# After connecting, the script sends "hello from aioice" on the selected pair.
import argparse, asyncio, json, sys

import aioice
import aioice.ice


def loopback_only(use_ipv4, use_ipv6):
    # aioice never gathers 127.0.0.1; the test runs on loopback only.
    return ["127.0.0.1"]


aioice.ice.get_host_addresses = loopback_only


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def read_json():
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return json.loads(line) if line.strip() else None


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["controlling", "controlled"], required=True)
    args = parser.parse_args()

    connection = aioice.Connection(ice_controlling=args.role == "controlling", components=1, use_ipv6=False)
    await connection.gather_candidates()
    emit({
        "ufrag": connection.local_username,
        "pwd": connection.local_password,
        "candidates": [c.to_sdp() for c in connection.local_candidates],
    })

    remote = await read_json()
    connection.remote_username = remote["ufrag"]
    connection.remote_password = remote["pwd"]
    for sdp in remote["candidates"]:
        await connection.add_remote_candidate(aioice.Candidate.from_sdp(sdp))
    await connection.add_remote_candidate(None)

    await asyncio.wait_for(connection.connect(), timeout=15)
    pair = connection._nominated.get(1)
    emit({"connected": True, "selected": f"{pair.local_addr} -> {pair.remote_addr}" if pair else None})

    await connection.send(b"hello from aioice")
    data = await asyncio.wait_for(connection.recv(), timeout=10)
    emit({"received": data.decode(errors="replace")})

    await read_json()  # {"close": true} or EOF
    await connection.close()


asyncio.run(main())
