// SPDX-License-Identifier: Apache-2.0

import PostgresNIO

/// A PostgreSQL failure as the store reports it: what it was doing and what went wrong, on one
/// line, without the password (never known here), the query's bound values or the server's
/// DETAIL text (which quotes row values).
///
/// postgres-nio's own `PSQLError` prints only a generic placeholder (to avoid leaking data), so
/// without this translation an operator would read "PSQLError – Generic description…" in the log.
public struct PostgresStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `connect`, `migrate`, `insert`, `ping`, …
    public var operation: String
    /// The server's SQLSTATE (`23505`, `28P01`, `3D000`, …) when the server answered.
    public var sqlState: String?
    /// The server's primary message, or the client-side cause.
    public var message: String
    /// For unique violations (23505): the index that refused the row.
    public var constraint: String?

    public var description: String {
        "PostgreSQL \(operation) failed: \(message)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "")
    }

    public init(operation: String, sqlState: String? = nil, message: String, constraint: String? = nil) {
        self.operation = operation
        self.sqlState = sqlState
        self.message = message
        self.constraint = constraint
    }

    /// PostgreSQL 15 Appendix A: class 23 "Integrity Constraint Violation", 23505 unique_violation.
    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// Translates whatever postgres-nio (or its pool) threw; the store's own errors pass through.
    static func wrap(_ error: any Error, operation: String) -> any Error {
        switch error {
        case is SessionStoreError, is PostgresStoreError:
            return error
        case let e as PSQLError:
            if let info = e.serverInfo {
                return PostgresStoreError(operation: operation, sqlState: info[.sqlState],
                                          message: info[.message] ?? "the server reported an error",
                                          constraint: info[.constraintName])
            }
            var message = switch e.code {
            case .sslUnsupported: "the server does not offer TLS, and sslmode requires it"
            case .authMechanismRequiresPassword: "the server asks for a password and none is configured"
            case .connectionError: "cannot connect"
            case .serverClosedConnection: "the server closed the connection"
            default: "\(e.code)"
            }
            if let underlying = e.underlying { message += ": \(underlying)" }
            return PostgresStoreError(operation: operation, message: message)
        case let e as PostgresDecodingError:
            return SessionStoreError.corrupt("column \(e.columnName) of type \(e.postgresType) did not decode")
        case is CancellationError:
            return PostgresStoreError(operation: operation, message: "cancelled")
        default:
            // The pool's ConnectionPoolError lives in an underscored module: recognise it by name.
            let text = "\(error)"
            if text.contains("connectionCreationCircuitBreakerTripped") {
                return PostgresStoreError(operation: operation,
                                          message: "no connection could be made (the pool gave up after repeated failures)")
            }
            if text.contains("poolShutdown") { return PostgresStoreError(operation: operation, message: "the store is closed") }
            if text.contains("requestCancelled") { return PostgresStoreError(operation: operation, message: "cancelled") }
            return PostgresStoreError(operation: operation, message: text)
        }
    }
}
