/// A `--db` / `CAMPAIGN_DB` URL that does not parse. `url` is the text as given with any password replaced by
/// `***`, so the message can be printed as it is.
public struct DatabaseURLError: Error, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        case unknownScheme(String)
        case noUser
        case userNeedsEscaping
        case noHost
        case severalHosts
        case noDatabaseName
        case badPort(String)
        case portGivenTwice
        case unknownSSLMode(String)
        case tlsOverSocket(PostgresLocation.SSLMode)
        case unknownParameter(String)
        case repeatedParameter(String)
        case malformedParameter(String)
        case socketNotAbsolute(String)
        case hostAndSocket
        case fragment
        /// A `%` not followed by two hex digits, or bytes that are not UTF-8, in the named part
        /// ("user name", "password", …): the part itself is not shown, it may be the password.
        case badPercentEncoding(part: String)
    }

    public let url: String
    public let problem: Problem

    public var description: String { "bad database URL \(url): \(problem)" }
}

extension DatabaseURLError.Problem: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unknownScheme(let scheme):
            "'\(scheme)://' is not a database URL; use postgres:// (with ?host=/dir for a unix socket), or a file path"
        case .noUser: "no user name (postgres://user@host/dbname)"
        case .userNeedsEscaping:
            "the user name holds / ? # or @, so an @ further on was taken for its end: write / ? # @ in a user "
                + "name, a password or a parameter as %2F %3F %23 %40"
        case .noHost:
            "no host: name a server (postgres://user@host/dbname) or a socket folder (postgres://user@/dbname?host=/dir)"
        case .severalHosts: "several hosts are not supported; name one"
        case .noDatabaseName: "no database name (postgres://user@host/dbname)"
        case .badPort(let port): "bad port '\(port)' (a number from 1 to 65535)"
        case .portGivenTwice: "the port is given twice (after the host and as port=)"
        case .unknownSSLMode(let mode):
            "unknown sslmode '\(mode)' (one of \(PostgresLocation.SSLMode.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .tlsOverSocket(let mode):
            "sslmode=\(mode.rawValue) cannot be met over a unix socket (TLS is not used there); use a TCP host"
        case .unknownParameter(let name) where name.lowercased() == "password":
            "unknown parameter 'password': put the password in the URL (user:password@) or in PGPASSWORD"
        case .unknownParameter(let name): "unknown parameter '\(name)' (known: host, port, sslmode)"
        case .repeatedParameter(let name): "the parameter '\(name)' is given twice"
        case .malformedParameter(let text): "'\(text)' is not a name=value parameter"
        case .socketNotAbsolute(let value):
            "host=\(value) must be a socket folder (an absolute path); put a server's name after the @"
        case .hostAndSocket: "both a host and a socket folder (host=) are given; name one"
        case .fragment: "a URL fragment (#…) means nothing here"
        case .badPercentEncoding(let part): "the \(part) has a bad %-escape"
        }
    }
}
