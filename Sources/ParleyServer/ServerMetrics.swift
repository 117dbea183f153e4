// SPDX-License-Identifier: Apache-2.0

import CoreMetrics
import Foundation
import Hummingbird
import ParleyLiveKit

/// The session backend's metrics, made through an explicit factory (so nothing here depends on a
/// global bootstrap; `parley serve` passes the registry it also bootstraps `MetricsSystem` with).
///
/// - `parley_http_requests_total{method,route,status}` and
///   `parley_http_request_duration_seconds{method,route}` (histogram)
/// - `parley_sessions_created_total{origin}`, `parley_sessions_ended_total{reason}`,
///   `parley_sessions_active` (gauge, read from the store at scrape time)
/// - `parley_livekit_api_errors_total{operation,code}`
/// - `parley_webhook_events_total{event,outcome}`
public struct ServerMetrics: Sendable {
    public let factory: any MetricsFactory

    public init(factory: any MetricsFactory) { self.factory = factory }

    /// Records nothing.
    public static let disabled = ServerMetrics(factory: NOOPMetricsHandler.instance)

    func request(method: String, route: String, status: Int, seconds: Double) {
        Counter(label: "parley_http_requests_total",
                dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory)
            .increment()
        CoreMetrics.Timer(label: "parley_http_request_duration_seconds", dimensions: [("method", method), ("route", route)],
              factory: factory).recordNanoseconds(Int64(seconds * 1e9))
    }

    func sessionCreated(origin: String) {
        Counter(label: "parley_sessions_created_total", dimensions: [("origin", origin)], factory: factory).increment()
    }

    func sessionEnded(reason: String) {
        Counter(label: "parley_sessions_ended_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    func livekitError(_ operation: String, _ error: LiveKitAPIError) {
        let code = error.transportFailure != nil ? "transport" : error.code.rawValue
        Counter(label: "parley_livekit_api_errors_total", dimensions: [("operation", operation), ("code", code)],
                factory: factory).increment()
    }

    func webhook(event: String, outcome: String) {
        Counter(label: "parley_webhook_events_total", dimensions: [("event", event), ("outcome", outcome)],
                factory: factory).increment()
    }
}

/// Counts and times every request by its route pattern (`/v1/sessions/{id}`, never the raw path,
/// so ids do not explode the label set; unmatched paths are `NotFound`).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let route = context.endpointPath ?? "NotFound"
        do {
            let response = try await next(request, context)
            record(request, route, response.status.code, start)
            return response
        } catch let error as any HTTPResponseError {
            record(request, route, error.status.code, start)
            throw error
        } catch {
            record(request, route, 500, start)
            throw error
        }
    }

    private func record(_ request: Request, _ route: String, _ status: Int, _ start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.request(method: request.method.rawValue, route: route, status: status, seconds: seconds)
    }
}

/// `GET /metrics`: the Prometheus text format. Unauthenticated like the health routes (put it
/// behind your network policy); 404 when the server runs without a registry.
struct MetricsRoutes {
    let service: SessionService
    let registry: PrometheusRegistry?

    func register(on router: Router<ServerRequestContext>) {
        router.get("metrics") { _, _ in
            guard let registry else {
                throw APIError(.notFound, "metrics_disabled", "this server exports no metrics")
            }
            if let active = try? await service.store.countActive() {
                registry.setGauge("parley_sessions_active", to: Double(active))
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: registry.exposition())))
        }
    }
}
