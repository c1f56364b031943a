import Foundation

/// A PostgreSQL database named by a URL, in libpq's own forms, so the same URL works with `psql`:
///
/// - TCP: `postgres://user[:password]@host[:port]/dbname[?sslmode=disable|prefer|require|verify-ca|verify-full]`
///   (`postgresql://` too; an IPv6 host in brackets, `[::1]`).
/// - Unix socket: `postgres://user@/dbname?host=/dir/of/socket[&port=5432]`, the socket being the file
///   `<dir>/.s.PGSQL.<port>` (port 5432 when not given). libpq's percent-encoded host
///   (`postgres://user@%2Fdir%2Fof%2Fsocket/dbname`) means the same.
///
/// User, password and database name are percent-decoded. The password comes from the URL, else from
/// `PGPASSWORD`; it is never part of a description, an error or a log (`redacted` stands in for the URL).
///
/// sslmode, when the URL does not say: `prefer` over TCP, as libpq does (TLS when the server offers it,
/// plain otherwise; the certificate is not checked, as with libpq's `prefer` and `require`); `disable` over a
/// unix socket, where TLS adds nothing. `require` and the `verify-` modes over a socket are refused rather
/// than silently ignored (libpq ignores them there): whoever wrote them expects an encrypted connection.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// `directory` holds the socket file `.s.PGSQL.<port>`.
        case socket(directory: String, port: Int)
    }

    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public let user: String
    public let database: String
    public let endpoint: Endpoint
    public let sslMode: SSLMode
    /// Whether the URL said sslmode (a redacted URL repeats only what the user wrote).
    let sslModeGiven: Bool
    let password: Password?

    /// Whether a password will be sent (from the URL or `PGPASSWORD`); the password itself is not public.
    public var hasPassword: Bool { password != nil }

    /// The socket file postgres-nio connects to (libpq's URL names its folder).
    public var socketPath: String? {
        guard case .socket(let directory, let port) = endpoint else { return nil }
        return (directory.hasSuffix("/") ? directory : directory + "/") + ".s.PGSQL.\(port)"
    }

    /// The URL with `***` for the password: what every message and log shows.
    public var redacted: String {
        let secret = password == nil ? "" : ":***"
        let user = PostgresURLParser.encode(user)
        let database = PostgresURLParser.encode(database)
        var parameters: [String] = []
        let authority: String
        switch endpoint {
        case .tcp(let host, let port):
            authority = (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        case .socket(let directory, let port):
            authority = ""
            parameters.append("host=\(directory)")
            if port != PostgresURLParser.defaultPort { parameters.append("port=\(port)") }
        }
        if sslModeGiven { parameters.append("sslmode=\(sslMode.rawValue)") }
        let query = parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&")
        return "postgres://\(user)\(secret)@\(authority)/\(database)\(query)"
    }

    public var description: String { redacted }
    public var debugDescription: String { redacted }
    /// `dump` and the test runner's value printing go through the mirror: it shows the redacted URL only.
    public var customMirror: Mirror { Mirror(self, children: ["url": redacted], displayStyle: .struct) }

    /// The password, printed as `***` wherever it is interpolated by mistake.
    struct Password: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        let value: String
        var description: String { "***" }
        var debugDescription: String { "***" }
        var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
    }
}
