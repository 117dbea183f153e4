# SPDX-License-Identifier: Apache-2.0
"""Fault injection for client retry/timeout tests: make the next N API calls fail or stall.

A fault applies before auth, as if a proxy or an overloaded node answered, and is consumed per
request. Set with ``--fail-next N:STATUS[:CODE]`` or ``POST /_test/fault``.
"""
import json
from dataclasses import dataclass


@dataclass
class Fault:
    remaining: int
    status: int = 503
    code: str | None = "unavailable"      # Twirp JSON body with this code; None -> raw `body`
    body: str = ""                        # used when code is None (e.g. a non-JSON 500 page)
    content_type: str = "text/plain"
    delay_ms: int = 0                     # stall this long first (then answer normally if status == 0)

    def response(self) -> tuple[int, str, bytes]:
        if self.code is not None:
            return self.status, "application/json", json.dumps({"code": self.code, "msg": "injected fault"}).encode()
        return self.status, self.content_type, self.body.encode()


class Faults:
    def __init__(self):
        self.pending: list[Fault] = []
        self.calls = 0   # API calls seen, including faulted ones

    @staticmethod
    def parse_flag(text: str) -> Fault:
        """``N:STATUS[:CODE]``, e.g. ``2:503`` or ``1:500:internal``."""
        parts = text.split(":")
        status = int(parts[1]) if len(parts) > 1 else 503
        code = parts[2] if len(parts) > 2 else ("unavailable" if status == 503 else "internal")
        return Fault(remaining=int(parts[0]), status=status, code=code)

    def from_json(self, spec: dict) -> Fault:
        fault = Fault(remaining=int(spec.get("count", 1)), status=int(spec.get("status", 503)),
                      code=spec.get("code", "unavailable"), body=spec.get("body", ""),
                      content_type=spec.get("content_type", "text/plain"), delay_ms=int(spec.get("delay_ms", 0)))
        self.pending.append(fault)
        return fault

    def take(self) -> Fault | None:
        self.calls += 1
        while self.pending and self.pending[0].remaining <= 0:
            self.pending.pop(0)
        if not self.pending:
            return None
        fault = self.pending[0]
        fault.remaining -= 1
        return fault
