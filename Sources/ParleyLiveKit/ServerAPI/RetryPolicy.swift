// SPDX-License-Identifier: Apache-2.0

/// When and how often a server-API call is repeated.
///
/// Only failures that prove the server did not act are retried: a connection that could not be
/// made (`HTTPTransportError.isRetryable`) and `503` / Twirp `unavailable` (twirp errors.go maps
/// `unavailable` to 503; psrpc uses it when no node could take the request). A 4xx is the
/// caller's mistake and is never repeated; timeouts and 5xx other than 503 may have had effects.
public struct RetryPolicy: Sendable, Hashable {
    /// Total tries including the first; 1 disables retries.
    public var maxAttempts: Int
    public var initialBackoff: Duration
    public var multiplier: Double
    public var maxBackoff: Duration
    /// Extra random delay, as a fraction of the backoff, so many clients don't retry in step.
    public var jitter: Double

    public init(maxAttempts: Int = 3, initialBackoff: Duration = .milliseconds(200), multiplier: Double = 2,
                maxBackoff: Duration = .seconds(2), jitter: Double = 0.2) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.multiplier = multiplier
        self.maxBackoff = maxBackoff
        self.jitter = jitter
    }

    public static let `default` = RetryPolicy()
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The pause after failed attempt number `attempt` (1-based).
    public func backoff(afterAttempt attempt: Int) -> Duration {
        var delay = initialBackoff
        for _ in 1..<max(1, attempt) { delay = delay * multiplier }
        if delay > maxBackoff { delay = maxBackoff }
        return jitter > 0 ? delay + delay * Double.random(in: 0...jitter) : delay
    }
}
