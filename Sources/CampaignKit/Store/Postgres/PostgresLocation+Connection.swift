import PostgresNIO

extension PostgresLocation {
    /// Sent with every connection's startup message, so they hold whatever the server's or the role's
    /// settings say. `synchronous_commit=on`: a commit returns only once its WAL is flushed; with `off` a server
    /// acknowledges an attempt's intent that a crash can still lose, and a lost intent means a redial.
    /// `application_name` names us in `pg_stat_activity`.
    static let startupParameters: [(String, String)] = [
        ("synchronous_commit", "on"), ("application_name", "campaign"),
    ]

    /// Connections per process. postgres-nio's default of 20 would let 5 processes (runners, reports) take all of
    /// a server's default `max_connections` of 100; a run needs one for claims and writes and a few for reads.
    static let maximumConnections = 6

    /// The configuration of one connection to this database, for tools and tests that need a connection of
    /// their own (the store itself uses a `PostgresCampaignDatabase`).
    public func connectionConfiguration() throws(PostgresStoreError) -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        switch endpoint {
        case .socket:
            configuration = .init(
                unixSocketPath: socketPath ?? "", username: user, password: password?.value, database: database)
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS
            do {
                switch sslMode {
                case .disable: tls = .disable
                case .prefer: tls = .prefer(try NIOSSLContext(configuration: tlsConfiguration))
                case .require, .verifyCA, .verifyFull:
                    tls = .require(try NIOSSLContext(configuration: tlsConfiguration))
                }
            } catch {
                throw .cannotConnect(location: redacted, reason: "TLS could not be set up: \(error)")
            }
            configuration = .init(
                host: host, port: port, username: user, password: password?.value, database: database, tls: tls)
        }
        configuration.options.additionalStartupParameters = Self.startupParameters
        return configuration
    }

    /// The pool's configuration: the same place, TLS and startup parameters as `connectionConfiguration`.
    func clientConfiguration() -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch endpoint {
        case .socket:
            configuration = .init(
                unixSocketPath: socketPath ?? "", username: user, password: password?.value, database: database)
        case .tcp(let host, let port):
            let tls: PostgresClient.Configuration.TLS =
                switch sslMode {
                case .disable: .disable
                case .prefer: .prefer(tlsConfiguration)
                case .require, .verifyCA, .verifyFull: .require(tlsConfiguration)
                }
            configuration = .init(
                host: host, port: port, username: user, password: password?.value, database: database, tls: tls)
        }
        configuration.options.additionalStartupParameters = Self.startupParameters
        configuration.options.maximumConnections = Self.maximumConnections
        return configuration
    }

    /// libpq's meaning of each mode: `prefer` and `require` encrypt without checking the certificate,
    /// `verify-ca` checks it against the system's roots, `verify-full` checks the host name too.
    var tlsConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable, .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        return configuration
    }
}
