# SPDX-License-Identifier: Apache-2.0
"""Access-token checks done the way the LiveKit server does them.

Shared by every endpoint of the test server (Twirp now; /rtc and /agent later), so it knows
nothing about HTTP. Behaviour follows docs/livekit-protocol.md §1 "How the server validates a
token" and server pkg/service/auth.go:

* HS256 only; ``iss`` names the API key whose secret verifies the signature;
* ``exp`` must be present; ``exp``/``nbf`` are checked with 60 s of leeway;
* any failure is a plain-text 401 raised before the RPC runs (``AuthFailure``);
* a missing or insufficient grant is *not* an auth failure: the RPC answers Twirp
  ``unauthenticated`` / "permissions denied" (server twirpAuthError).
"""
import base64
import hashlib
import hmac
import json
import time

LEEWAY_S = 60
PERMISSION_DENIED = "permissions denied"


class AuthFailure(Exception):
    """A token the auth middleware refuses: answered as a plain-text 401 with ``str(self)``."""


class GrantDenied(Exception):
    """A valid token without the grant an RPC needs: answered as Twirp ``unauthenticated``."""

    def __init__(self):
        super().__init__(PERMISSION_DENIED)


def _b64url_decode(part: str) -> bytes:
    if not all(c.isalnum() or c in "-_" for c in part):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class Verifier:
    def __init__(self, keys: dict):
        self.keys = dict(keys)

    def verify(self, token: str, now: float | None = None) -> dict:
        """Returns the claims, or raises AuthFailure with the server's message shape."""
        now = time.time() if now is None else now
        try:
            head_b64, payload_b64, sig_b64 = token.split(".")
            header = json.loads(_b64url_decode(head_b64))
            claims = json.loads(_b64url_decode(payload_b64))
            signature = _b64url_decode(sig_b64)
            if not isinstance(header, dict) or not isinstance(claims, dict):
                raise ValueError("not a JSON object")
        except Exception:
            raise AuthFailure("invalid authorization token")
        key = claims.get("iss") or ""
        secret = self.keys.get(key)
        if not secret:
            raise AuthFailure(f"invalid API key: {key}")
        # The real server echoes the token in this message; clients must redact it before logging.
        prefix = f"invalid token: {token}, error: "
        if header.get("alg") != "HS256":
            raise AuthFailure(prefix + "go-jose/go-jose: unexpected signature algorithm")
        expected = hmac.new(secret.encode(), f"{head_b64}.{payload_b64}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature):
            raise AuthFailure(prefix + "go-jose/go-jose: error in cryptographic primitive")
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)):
            raise AuthFailure(prefix + "token has no expiry")
        if now > exp + LEEWAY_S:
            raise AuthFailure(prefix + "go-jose/go-jose/jwt: validation failed, token is expired (exp)")
        nbf = claims.get("nbf")
        if isinstance(nbf, (int, float)) and now + LEEWAY_S < nbf:
            raise AuthFailure(prefix + "go-jose/go-jose/jwt: validation failed, token not valid yet (nbf)")
        return claims


def _video(claims: dict | None) -> dict:
    video = (claims or {}).get("video")
    if not isinstance(video, dict):
        raise GrantDenied()
    return video


def ensure_create(claims: dict | None) -> None:
    if not _video(claims).get("roomCreate"):
        raise GrantDenied()


def ensure_list(claims: dict | None) -> None:
    if not _video(claims).get("roomList"):
        raise GrantDenied()


def ensure_admin(claims: dict | None, room: str) -> None:
    """roomAdmin, and the token's ``video.room`` must be the request's room (EnsureAdminPermission)."""
    video = _video(claims)
    if not video.get("roomAdmin") or video.get("room", "") != room:
        raise GrantDenied()


# Minting (agent job tokens, refresh tokens) and grant helpers for /rtc and /agent.

def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(api_key: str, secret: str, claims: dict) -> str:
    """An HS256 JWT with ``iss`` = api_key (claims are used as given otherwise)."""
    body = dict(claims)
    body["iss"] = api_key
    head = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(body, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return f"{head}.{payload}.{_b64url(sig)}"


def identity(claims: dict) -> str:
    """``sub``, or ``jti`` when ``sub`` is empty (protocol auth/verifier.go)."""
    return str(claims.get("sub") or claims.get("jti") or "")


def video(claims: dict | None) -> dict:
    v = (claims or {}).get("video")
    return v if isinstance(v, dict) else {}


def grant_bool(v: dict, key: str, default: bool) -> bool:
    value = v.get(key)
    return bool(value) if isinstance(value, bool) else default


def can_publish(v: dict) -> bool:
    return grant_bool(v, "canPublish", True)


def can_subscribe(v: dict) -> bool:
    return grant_bool(v, "canSubscribe", True)


def can_publish_data(v: dict) -> bool:
    return grant_bool(v, "canPublishData", can_publish(v))


def can_update_own_metadata(v: dict) -> bool:
    return grant_bool(v, "canUpdateOwnMetadata", False)
