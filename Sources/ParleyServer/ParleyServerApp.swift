// SPDX-License-Identifier: Apache-2.0

import Hummingbird
import Logging
import ParleyLiveKit

/// Builds the HTTP application: health, metrics, OpenAPI and the LiveKit webhook open (the webhook
/// is signed instead), everything else authenticated, all errors in the
/// `{"error": {"code", "message"}}` shape, CORS per `server.cors` (closed by default).
public enum ParleyServerApp {
    /// - Parameter metrics: the registry `GET /metrics` renders (and request metrics go to);
    ///   nil → no request metrics and `/metrics` answers 404.
    public static func router(service: SessionService, metrics: PrometheusRegistry? = nil) -> Router<ServerRequestContext> {
        let router = Router(context: ServerRequestContext.self)
        // Middleware order: metrics see the final status; CORS headers go on error replies too.
        if let metrics { router.add(middleware: MetricsMiddleware(metrics: ServerMetrics(factory: metrics))) }
        router.add(middleware: CORSMiddleware(settings: service.config.cors))
        router.add(middleware: ErrorMiddleware())
        HealthRoutes(service: service).register(on: router)
        MetricsRoutes(service: service, registry: metrics).register(on: router)
        OpenAPIDocument.register(on: router)
        WebhookRoutes(service: service, verifier: WebhookVerifier(apiKey: service.config.livekit.apiKey,
                                                                  apiSecret: service.config.livekit.apiSecret))
            .register(on: router)
        let authenticator = Authenticator(jwt: service.config.jwt, apiKeys: service.config.apiKeys)
        let authed = router.group().add(middleware: AuthMiddleware(authenticator: authenticator))
        SessionRoutes(service: service).register(on: authed.group("v1"))
        Seed004Routes(service: service).register(on: authed)
        Seed000Routes(service: service).register(on: authed)
        Seed001Routes(service: service).register(on: authed)
        return router
    }

    public static func application(service: SessionService, logger: Logger, metrics: PrometheusRegistry? = nil)
        -> some ApplicationProtocol {
        Application(router: router(service: service, metrics: metrics),
                    configuration: .init(address: .hostname(service.config.host, port: service.config.port),
                                         serverName: "parley"),
                    logger: logger)
    }
}
