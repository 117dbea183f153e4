// SPDX-License-Identifier: Apache-2.0

// Compiles to nothing until Package.swift gives the `parley` target its ParleyServer dependency.
#if canImport(ParleyServer)
import ArgumentParser
import Foundation
import Logging
import Metrics
import ParleyCore
import ParleyLiveKit
import ParleyServer

/// `parley serve --config FILE`: the session backend (create, inspect, list and end agent
/// sessions over HTTP, plus the seed-compatible routes). Reads the `livekit:` and `server:`
/// sections of the operator's YAML; missing LiveKit settings stop it before it listens.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the session API (Hummingbird) that creates LiveKit rooms and dispatches agents.",
        discussion: "The config's server: section sets listen address, auth (HS256 secret and/or JWKS file, API keys), "
            + "store (a SQLite file, or PostgreSQL: kind: postgres with a url), CORS and agent profiles; livekit: url, "
            + "api_key and api_secret are required. At start, sessions whose rooms are gone are ended (reconciled); "
            + "LiveKit webhooks go to /v1/livekit/webhook, metrics to /metrics.")

    @Option(help: "YAML config file with livekit: and server: sections.") var config: String
    @Option(help: "Listen host (overrides server.listen.host).") var host: String?
    @Option(help: "Listen port (overrides server.listen.port).") var port: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw CLIFailure(message: "--log-level \(logLevel) is not one of trace, debug, info, notice, warning, error, critical",
                             exitCode: 2)
        }
        var settings = try ServerConfig(root: ConfigLoader.load(path: config))
        if let host { settings.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw CLIFailure(message: "--port \(port) is out of range", exitCode: 2) }
            settings.port = port
        }
        var logger = Logger(label: "parley.server")
        logger.logLevel = level
        let twirp: TwirpClient
        do {
            twirp = try TwirpClient(url: settings.livekit.url, apiKey: settings.livekit.apiKey,
                                    apiSecret: settings.livekit.apiSecret)
        } catch { throw CLIFailure(message: error.description, exitCode: 2) }
        let store: any SessionStore
        // `settings.store` and the errors print no password (PostgresStoreSettings redacts it).
        do { store = try await settings.store.open(logger: logger) } catch {
            throw CLIFailure(message: "cannot open session store \(settings.store): \(error)")
        }
        // The one place the process-wide metrics backend is chosen: the Prometheus registry
        // `GET /metrics` renders (the engine's own metrics land there too).
        let registry = PrometheusRegistry()
        MetricsSystem.bootstrap(registry)
        let service = SessionService(config: settings, store: store, twirp: twirp, logger: logger,
                                     metrics: ServerMetrics(factory: registry))
        logger.info("parley serve starting", metadata: [
            "host": "\(settings.host)", "port": "\(settings.port)", "store": "\(settings.store)",
            "profiles": "\(settings.profiles.keys.sorted().joined(separator: ","))",
        ])
        // Sessions whose rooms vanished while the server was down (LiveKit closed them, or they
        // were deleted behind its back) end now with reason `reconciled`. LiveKit unreachable:
        // nothing is ended, the server starts anyway (and /readyz says LiveKit is failing).
        let report = await service.reconcile()
        if !report.completed { logger.warning("could not reconcile sessions with LiveKit at start") }
        let app = ParleyServerApp.application(service: service, logger: logger, metrics: registry)
        do {
            try await app.runService()
        } catch {
            try? await store.close()
            throw error
        }
        try? await store.close()
    }
}
#endif
