// SPDX-License-Identifier: Apache-2.0

import Hummingbird

/// `GET /healthz` (the process answers) and `GET /readyz` (store and LiveKit API reachable).
/// No authentication; no details beyond ok/failing per dependency.
struct HealthRoutes {
    let service: SessionService

    struct Readiness: Encodable {
        var status: String
        var store: String
        var livekit: String
    }

    func register(on router: Router<ServerRequestContext>) {
        router.get("healthz") { _, _ in try JSONResponse.make(["status": "ok"]) }
        router.get("readyz") { _, _ in
            let (store, livekit) = await service.readiness()
            let ready = store && livekit
            return try JSONResponse.make(Readiness(status: ready ? "ready" : "not_ready", store: store ? "ok" : "failing",
                                                   livekit: livekit ? "ok" : "failing"),
                                         status: ready ? .ok : .serviceUnavailable)
        }
    }
}
