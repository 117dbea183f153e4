// SPDX-License-Identifier: Apache-2.0

import Hummingbird

/// Per-request state: Hummingbird's core storage plus the authenticated caller.
public struct ServerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// The caller; routes behind `AuthMiddleware` always have one.
    func requirePrincipal() throws(APIError) -> Principal {
        guard let principal else { throw APIError.unauthenticated("missing credentials") }
        return principal
    }
}
