// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

/// The connection settings every streaming STT provider shares, with their config options.
public struct StreamingSTTSettings: Sendable, Equatable {
    /// Audio the stage sends (the engine converts to it): 16 kHz mono PCM16.
    public var sampleRate: Int
    /// From the start of the connect (DNS included) to the upgrade's 101.
    public var connectTimeoutMS: Int
    /// How long a held `endOfStream` waits for the provider's last results and close.
    public var closeTimeoutMS: Int
    /// How long a finalize request waits for the provider's final before an empty final
    /// answers it (the provider had nothing left to finalize).
    public var finalizeTimeoutMS: Int
    /// With no audio for this long the provider's keep-alive message is sent (0: never).
    public var keepAliveMS: Int
    /// After a failed connection, audio is dropped for this long before the next attempt
    /// (doubling per failure up to `maximumRetryDelayMS`), unless a new utterance starts:
    /// `userStartedSpeaking` retries at once.
    public var retryDelayMS: Int
    public var maximumRetryDelayMS: Int

    public init(sampleRate: Int = 16_000, connectTimeoutMS: Int = 10_000, closeTimeoutMS: Int = 5_000,
                finalizeTimeoutMS: Int = 1_000, keepAliveMS: Int = 0, retryDelayMS: Int = 1_000,
                maximumRetryDelayMS: Int = 30_000) {
        self.sampleRate = sampleRate
        self.connectTimeoutMS = connectTimeoutMS
        self.closeTimeoutMS = closeTimeoutMS
        self.finalizeTimeoutMS = finalizeTimeoutMS
        self.keepAliveMS = keepAliveMS
        self.retryDelayMS = retryDelayMS
        self.maximumRetryDelayMS = maximumRetryDelayMS
    }

    /// The options every streaming STT provider offers (`base_url` and the key are the provider's).
    public static let options: [OptionSpec] = [
        .int("connect_timeout_ms", 100 ... 120_000, default: 10_000,
             help: "how long to wait for the WebSocket upgrade"),
        .int("close_timeout_ms", 100 ... 120_000, default: 5_000,
             help: "how long end of stream waits for the provider's last results"),
        .int("finalize_timeout_ms", 100 ... 10_000, default: 1_000,
             help: "how long the end of speech waits for the provider's final before an empty one stands in"),
    ]

    /// Reads the shared options (`keepAliveMS` is the provider's to set).
    public static func from(_ options: StageOptions) -> StreamingSTTSettings {
        StreamingSTTSettings(connectTimeoutMS: options.int("connect_timeout_ms"),
                             closeTimeoutMS: options.int("close_timeout_ms"),
                             finalizeTimeoutMS: options.int("finalize_timeout_ms"))
    }
}

/// A provider option that cannot work, found while setting the stage up (the registry prefixes
/// it with the config location: "file:line:column: deepgram could not be set up: …").
public struct StreamingSTTSetupError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Endpoint handling shared by the providers.
public enum StreamingSTTEndpoint {
    /// `base_url` parsed as a `ws://` or `wss://` URL with a host.
    public static func parse(_ text: String, example: String) throws -> URLComponents {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              ["ws", "wss"].contains(scheme), let host = components.host, !host.isEmpty else {
            throw StreamingSTTSetupError("base_url \"\(text)\" is not a ws:// or wss:// URL (e.g. \(example))")
        }
        return components
    }

    /// `base` with `items` appended to whatever query it already has (a proxy's or test server's).
    public static func url(_ base: URLComponents, adding items: [URLQueryItem]) -> String {
        var components = base
        components.queryItems = (base.queryItems ?? []) + items
        // URLComponents leaves "+" alone in queries; servers read it as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.string ?? ""
    }

    /// The key is required against the provider's own service (`officialHost`); a self-hosted or
    /// test endpoint may run without one.
    public static func requireKey(_ key: String, for base: URLComponents, officialHostSuffix: String,
                                  option: String, environment: String) throws {
        guard key.isEmpty, let host = base.host?.lowercased(), host.hasSuffix(officialHostSuffix) else { return }
        throw StreamingSTTSetupError("no API key: set \(option) or \(environment)")
    }
}
