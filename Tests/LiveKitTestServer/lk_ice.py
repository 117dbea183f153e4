# SPDX-License-Identifier: Apache-2.0
"""aiortc/aioice adjustments so aiortc can play the LiveKit SFU's side (and the selftest client's).

Imported for its side effects (``install()``) by lk_rtc.py and selftest.py. What it changes:

* **Loopback host candidates.** aioice never gathers 127.0.0.1 (``get_host_addresses`` skips it).
  A same-host client may offer only loopback, so with ``install(loopback=True)`` 127.0.0.1 is
  gathered too, first, next to every other interface address. (The real server does this only
  with ``rtc.enable_loopback_candidate``; see livekit-protocol.md §5 "Loopback-only clients".)
* **No default STUN server.** aiortc falls back to stun.l.google.com when ``iceServers`` is None,
  which stalls gathering for 5 s offline; ``rtc_configuration()`` always passes an empty list.
* **ICE restart.** aiortc cannot restart ICE. ``RestartableConnection`` (an aioice Connection
  subclass that aiortc's RTCIceGatherer now instantiates) adds an in-place restart that keeps the
  sockets, the DTLS association and SCTP on top, the way pion does: new local ufrag/pwd, a fresh
  check list with the new remote credentials, and the old selected pair keeps carrying media and
  data until a pair of the new generation is nominated. ``begin_restart(pc)`` /
  ``finish_restart(pc, ufrag, pwd)`` drive it for a whole RTCPeerConnection (all its transports).
* **BUNDLE repair.** aiortc (1.16, default "balanced" bundle policy) gives a new audio/video
  transceiver the transport of the first transceiver of its kind and marks it ``_bundled``. When
  that first transceiver is itself still waiting to be moved onto the BUNDLE transport (two or
  more m-sections of a kind added in one negotiation after an m-section of another kind, e.g.
  two audio tracks in the renegotiation of a data-only subscriber PC), setRemoteDescription moves
  only the first one, stops the shared transport, and leaves the others on the stopped transport:
  their senders never start and their receivers never get packets. ``setRemoteDescription`` is
  wrapped to move every bundled m-section onto the BUNDLE transport before aiortc connects them
  (``repair_bundle``). ("max-bundle" is no way out: aiortc then stops the BUNDLE transport
  itself when the SCTP transport, created first, is not the first m-section.)
* **Server SDP profile** (``server_profile()``, server process only): Opus on payload type 111
  with ``minptime=10;useinbandfec=1``, no G722 (the server offers opus/PCMU/PCMA), SCTP
  ``max-message-size`` 65535, and ``wire_sdp()`` keeps only the sha-256 fingerprint, like pion.
* **Trickle helpers.** ``strip_candidates(sdp)`` removes ``a=candidate``/``a=end-of-candidates``
  (the real server trickles every candidate and never puts them in its SDP);
  ``local_candidate_inits(pc)`` gives the W3C RTCIceCandidateInit dicts to trickle;
  ``add_remote_candidate(pc, init)`` adds one received candidate to the bundle transport.
"""
import asyncio
import json
import logging
import re

import aioice.ice as aioice_ice
from aioice import Candidate
from aioice.utils import random_string
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc import rtcicetransport
from aiortc.sdp import candidate_from_sdp, candidate_to_sdp

log = logging.getLogger("lk.ice")

_state = {"loopback": True, "installed": False}
_orig_get_host_addresses = aioice_ice.get_host_addresses


def _get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    addresses = _orig_get_host_addresses(use_ipv4, use_ipv6)
    if _state["loopback"] and use_ipv4 and "127.0.0.1" not in addresses:
        addresses.insert(0, "127.0.0.1")
    return addresses


class RestartableConnection(aioice_ice.Connection):
    """aioice Connection with an in-place ICE restart (RFC 8445 §9) that keeps the sockets."""

    _fallback: dict = {}
    _connect_task = None
    _restart_mode = None

    def begin_restart(self) -> None:
        """New local credentials; a connected agent also starts a fresh check list (the old
        selected pair stays usable until the new generation nominates one). An agent whose first
        checks are still running only changes credentials ("soft" restart): its running connect()
        simply continues with the new remote credentials once they are known."""
        self._local_username = random_string(4)
        self._local_password = random_string(22)
        if not self._nominated and not self._fallback:
            self._restart_mode = "soft"
            return
        self._restart_mode = "full"
        if self._query_consent_task is not None and not self._query_consent_task.done():
            self._query_consent_task.cancel()
        self._query_consent_task = None
        for pair in self._check_list:
            if pair.task is not None:
                pair.task.cancel()
        self._check_list = []
        self._check_list_done = False
        self._check_list_state = asyncio.Queue()
        self._early_checks.clear()
        self._early_checks_done = False
        self._nominating = set()
        self._fallback = dict(self._nominated)
        self._nominated = {}
        self._remote_candidates = []
        self._remote_candidates_end = False
        self._remote_candidates_resolving = 0
        self.remote_username = None
        self.remote_password = None

    def finish_restart(self, remote_username: str, remote_password: str, on_failed=None) -> None:
        """Start the checks of the new generation (remote candidates may keep trickling in)."""
        mode, self._restart_mode = self._restart_mode, None
        self.remote_username = remote_username
        self.remote_password = remote_password
        if mode != "full":
            return

        async def run():
            try:
                await self.connect()
            except ConnectionError:
                log.info("ICE restart failed on %r", self)
                if on_failed:
                    on_failed()
                await self.close()
        self._connect_task = asyncio.ensure_future(run())

    def _check_list_maybe_complete(self) -> bool:
        done = super()._check_list_maybe_complete()
        if done:
            self._fallback = {}
        return done

    async def sendto(self, data: bytes, component: int) -> None:
        pair = self._nominated.get(component) or self._fallback.get(component)
        if pair is None:
            raise ConnectionError("Cannot send data, not connected")
        await pair.protocol.send_data(data, pair.remote_addr)

    async def recvfrom(self) -> tuple[bytes, int]:
        if not self._nominated and not self._fallback:
            raise ConnectionError("Cannot receive data, not connected")
        result = await self._queue.get()
        if result is None:
            raise ConnectionError("Connection lost while receiving data")
        return result

    async def close(self) -> None:
        self._fallback = {}
        await super().close()


_orig_set_remote_description = RTCPeerConnection.setRemoteDescription


async def _set_remote_description(self, sessionDescription) -> None:
    await _orig_set_remote_description(self, sessionDescription)
    # No await in between: aiortc's connect task (scheduled by the call above) has not run yet.
    repair_bundle(self, sessionDescription.sdp)


def repair_bundle(pc: RTCPeerConnection, sdp: str) -> list[str]:
    """Moves every m-section of the BUNDLE group onto the transport of its first mid (what aiortc's
    setRemoteDescription should have done). Returns the mids it had to move."""
    m = re.search(r"^a=group:BUNDLE (.*)$", sdp, re.M)
    mids = m.group(1).split() if m else []
    if len(mids) < 2:
        return []
    objects = [(t.mid, t) for t in pc.getTransceivers()]
    if pc.sctp is not None:
        objects.append((pc.sctp.mid, pc.sctp))

    def transport_of(obj):
        return obj.transport if obj is pc.sctp else obj.receiver.transport
    primary = next((transport_of(o) for mid, o in objects if mid == mids[0]), None)
    if primary is None or primary.transport.state == "closed":
        return []
    moved, old = [], set()
    for mid, obj in objects:
        if mid not in mids[1:] or transport_of(obj) is primary:
            continue
        old.add(transport_of(obj))
        if obj is pc.sctp:
            obj.setTransport(primary)
        else:
            obj.receiver.setTransport(primary)
            obj.sender.setTransport(primary)
        obj._bundled = True
        moved.append(mid)
    in_use = {transport_of(o) for _, o in objects}
    dtls_set = getattr(pc, "_RTCPeerConnection__dtlsTransports", set())
    ice_set = getattr(pc, "_RTCPeerConnection__iceTransports", set())
    for dtls in old - in_use:
        dtls_set.discard(dtls)
        ice_set.discard(dtls.transport)

        async def stop(d=dtls):
            await d.stop()
            await d.transport.stop()
        asyncio.ensure_future(stop())
    if moved:
        log.debug("BUNDLE repair: moved mids %s onto the transport of mid %s", moved, mids[0])
    return moved


def install(loopback: bool = True) -> None:
    _state["loopback"] = loopback
    if not _state["installed"]:
        aioice_ice.get_host_addresses = _get_host_addresses
        rtcicetransport.Connection = RestartableConnection
        RTCPeerConnection.setRemoteDescription = _set_remote_description
        _state["installed"] = True


def server_profile() -> None:
    from aiortc import codecs, rtcsctptransport
    audio = codecs.CODECS["audio"]
    for c in audio:
        if c.mimeType.lower() == "audio/opus":
            c.payloadType = 111
            c.parameters = {"minptime": 10, "useinbandfec": 1}
    audio[:] = [c for c in audio if c.mimeType.lower() != "audio/g722"]
    rtcsctptransport.LOCAL_MAX_MESSAGE_SIZE = 65535


def wire_sdp(sdp: str, trickle: bool) -> str:
    """The SDP as the server sends it: sha-256 fingerprint only; candidates trickled, not inline."""
    lines = [ln for ln in sdp.split("\r\n")
             if not (ln.startswith("a=fingerprint:") and not ln.startswith("a=fingerprint:sha-256 "))]
    if trickle:   # pion's trickle-ICE SDP: discard port and address, candidates come separately
        lines = [re.sub(r"^(m=\S+) (?!0 )\d+ ", r"\1 9 ", ln) for ln in lines]
        lines = ["c=IN IP4 0.0.0.0" if ln.startswith("c=IN ") else ln for ln in lines]
    out = "\r\n".join(lines)
    return strip_candidates(out) if trickle else out


def rtc_configuration() -> RTCConfiguration:
    return RTCConfiguration(iceServers=[])


def ice_transports(pc: RTCPeerConnection) -> list:
    """The live RTCIceTransports of a peer connection (one once BUNDLE has been applied)."""
    seen = []
    for t in pc.getTransceivers():
        it = t.receiver.transport.transport
        if it not in seen and it.state != "closed":
            seen.append(it)
    if pc.sctp is not None:
        it = pc.sctp.transport.transport
        if it not in seen and it.state != "closed":
            seen.append(it)
    return seen


def primary_transport(pc: RTCPeerConnection):
    """The transport of the first m-section of the current local or remote description."""
    desc = pc.localDescription or pc.remoteDescription
    mid = bundle_mids(desc.sdp)[0] if desc is not None and bundle_mids(desc.sdp) else None
    for t in pc.getTransceivers():
        if t.mid == mid:
            return t.receiver.transport.transport
    if pc.sctp is not None and (mid is None or pc.sctp.mid == mid):
        return pc.sctp.transport.transport
    ts = ice_transports(pc)
    return ts[0] if ts else None


def _started(it) -> bool:
    return getattr(it, "_RTCIceTransport__start", None) is not None


def begin_restart(pc: RTCPeerConnection) -> None:
    """Before createOffer (offerer) or before setRemoteDescription of the restart offer (answerer).
    A transport that never started checks needs nothing: aiortc starts it with the new values."""
    for it in ice_transports(pc):
        if isinstance(it._connection, RestartableConnection):
            if _started(it):
                it._connection.begin_restart()
                it.iceGatherer._remote_candidates_end = it._connection._remote_candidates_end
            else:
                it._connection._local_username = random_string(4)
                it._connection._local_password = random_string(22)


def finish_restart(pc: RTCPeerConnection, remote_sdp: str, on_failed=None) -> None:
    ufrag, pwd = ice_credentials(remote_sdp)
    for it in ice_transports(pc):
        if isinstance(it._connection, RestartableConnection) and it._connection._restart_mode:
            it._connection.finish_restart(ufrag, pwd, on_failed)


def remote_ufrag(pc: RTCPeerConnection) -> str | None:
    it = primary_transport(pc)
    return it._connection.remote_username if it is not None else None


def ice_credentials(sdp: str) -> tuple[str | None, str | None]:
    ufrag = re.search(r"^a=ice-ufrag:(\S+)", sdp, re.M)
    pwd = re.search(r"^a=ice-pwd:(\S+)", sdp, re.M)
    return (ufrag.group(1) if ufrag else None, pwd.group(1) if pwd else None)


def bundle_mids(sdp: str) -> list[str]:
    m = re.search(r"^a=group:BUNDLE (.*)$", sdp, re.M)
    if m:
        return m.group(1).split()
    return re.findall(r"^a=mid:(\S+)", sdp, re.M)


def strip_candidates(sdp: str) -> str:
    lines = [ln for ln in sdp.split("\r\n")
             if not ln.startswith("a=candidate:") and ln != "a=end-of-candidates"]
    return "\r\n".join(lines)


def local_candidate_inits(pc: RTCPeerConnection) -> list[dict]:
    """RTCIceCandidateInit dicts for the bundle transport's local candidates."""
    desc = pc.localDescription
    if desc is None:
        return []
    mids = bundle_mids(desc.sdp)
    mid = mids[0] if mids else "0"
    it = primary_transport(pc)
    if it is None:
        return []
    ufrag = it._connection.local_username
    out = []
    for c in it.iceGatherer.getLocalCandidates():
        out.append({"candidate": "candidate:" + candidate_to_sdp(c), "sdpMid": mid, "sdpMLineIndex": 0,
                    "usernameFragment": ufrag})
    return out


async def add_remote_candidate(pc: RTCPeerConnection, init: dict) -> str:
    """Adds a trickled candidate to the bundle transport. Returns what happened (for logs/tests)."""
    text = (init.get("candidate") or "").strip()
    if not text:
        return "end-of-candidates (ignored)"
    if text.startswith("candidate:"):
        text = text[len("candidate:"):]
    try:
        cand = candidate_from_sdp(text)
    except Exception as e:  # malformed candidate line: pion logs and drops it
        return f"malformed: {e}"
    if cand.ip.endswith(".local"):
        return "mdns (dropped: the server runs without mDNS)"
    if cand.protocol.lower() != "udp":
        return "non-udp (not supported by the test server)"
    it = primary_transport(pc)
    if it is None:
        return "no transport"
    uf = init.get("usernameFragment")
    current = it._connection.remote_username
    if uf and current and uf != current:
        return "stale ufrag (ignored)"
    await it.addRemoteCandidate(cand)
    return "added"


def candidate_init_json(init: dict) -> str:
    return json.dumps(init, separators=(",", ":"))


__all__ = ["install", "rtc_configuration", "begin_restart", "finish_restart", "strip_candidates",
           "local_candidate_inits", "add_remote_candidate", "ice_credentials", "bundle_mids", "remote_ufrag",
           "RestartableConnection", "Candidate", "candidate_init_json", "repair_bundle"]
