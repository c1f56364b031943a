import Foundation
import PostgresNIO

extension PostgresStoreError {
    /// `error`, from postgres-nio, NIO or the store itself, in a user's words. postgres-nio's own description is
    /// deliberately generic ("PSQLError – Generic description…"); the server's message and SQLSTATE are read
    /// from its fields instead, and never the query or its binds.
    init(_ error: any Error, location: PostgresLocation) {
        if let error = error as? PostgresStoreError {
            self = error
            return
        }
        let url = location.redacted
        guard let error = error as? PSQLError else {
            self = .cannotConnect(location: url, reason: Self.describe(connectionError: error, location: location))
            return
        }
        switch error.code {
        case .server:
            let message = error.serverInfo?[.message] ?? "no message"
            switch error.serverInfo?[.sqlState] {
            case "28P01": self = .passwordRefused(location: url, user: location.user)
            case "3D000": self = .noSuchDatabase(location: url, database: location.database)
            // 28000: no pg_hba.conf line lets this user in, or no such role; 57P03: starting or shutting
            // down; 53300: too many connections; 57P01/57P02: the server ended the session (a restart,
            // pg_terminate_backend); class 08: the connection failed. The server's message names which.
            case "28000", "57P03", "53300", "57P01", "57P02": self = .cannotConnect(location: url, reason: message)
            case let state? where state.hasPrefix("08"): self = .cannotConnect(location: url, reason: message)
            case let state?: self = .server(location: url, reason: "\(message) (SQLSTATE \(state))")
            case nil: self = .server(location: url, reason: message)
            }
        case .connectionError:
            let reason = error.underlying.map { Self.describe(connectionError: $0, location: location) }
            self = .cannotConnect(location: url, reason: reason ?? "the connection failed")
        case .authMechanismRequiresPassword:
            self = .passwordMissing(location: url, user: location.user)
        case .sslUnsupported:
            self = .cannotConnect(
                location: url,
                reason: "the server does not offer TLS, which sslmode=\(location.sslMode.rawValue) requires")
        case .failedToAddSSLHandler:
            let reason = error.underlying.map { "\($0)" } ?? "unknown"
            self = .cannotConnect(location: url, reason: "TLS could not be set up: \(reason)")
        case .serverClosedConnection, .uncleanShutdown:
            let reason = error.underlying.map { Self.describe(connectionError: $0, location: location) }
            self = .cannotConnect(location: url, reason: reason ?? "the server closed the connection")
        default:
            self = .server(location: url, reason: "\(error.code)")
        }
    }

    /// A failed connect, said with the place it tried: the socket file, or host and port.
    static func describe(connectionError error: any Error, location: PostgresLocation) -> String {
        var errno: CInt?
        if let error = error as? IOError {
            errno = error.errnoCode
        } else if let error = error as? NIOConnectionError,
            let first = error.connectionErrors.first?.error as? IOError
        {
            errno = first.errnoCode
        }
        let cause = errno.map { String(cString: strerror($0)) } ?? "\(error)"
        switch location.endpoint {
        case .socket:
            return "no server answers at the socket \(location.socketPath ?? "") (\(cause)); is the server running, "
                + "and is host= its socket folder?"
        case .tcp(let host, let port):
            if let error = error as? NIOConnectionError, error.connectionErrors.isEmpty {
                return "cannot find the host \(host) (\(error))"
            }
            return "no server answers at \(host):\(port) (\(cause)); is the server running and listening there?"
        }
    }
}
