// SPDX-License-Identifier: Apache-2.0

import Hummingbird
import Logging
import ParleyLiveKit

/// Builds the HTTP application: health routes open, everything else authenticated, all errors
/// in the `{"error": {"code", "message"}}` shape.
public enum ParleyServerApp {
    public static func router(service: SessionService) -> Router<ServerRequestContext> {
        let router = Router(context: ServerRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        HealthRoutes(service: service).register(on: router)
        let authenticator = Authenticator(jwt: service.config.jwt, apiKeys: service.config.apiKeys)
        let authed = router.group().add(middleware: AuthMiddleware(authenticator: authenticator))
        SessionRoutes(service: service).register(on: authed.group("v1"))
        Seed004Routes(service: service).register(on: authed)
        Seed000Routes(service: service).register(on: authed)
        return router
    }

    public static func application(service: SessionService, logger: Logger)
        -> some ApplicationProtocol {
        Application(router: router(service: service),
                    configuration: .init(address: .hostname(service.config.host, port: service.config.port),
                                         serverName: "parley"),
                    logger: logger)
    }
}
