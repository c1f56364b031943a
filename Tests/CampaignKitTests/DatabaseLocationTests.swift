import Foundation
import PostgresNIO
import Testing

@testable import CampaignKit

/// `--db` / `CAMPAIGN_DB`: a path or a libpq URL, and the password never shown.
@Suite("database location")
struct DatabaseLocationTests {
    static let secret = "s3cr/et@pa?ss#w%25rd"

    func postgres(_ text: String, environment: [String: String] = [:]) throws -> PostgresLocation {
        guard case .postgres(let location) = try DatabaseLocation(parsing: text, environment: environment) else {
            Issue.record("\(text) was read as a path")
            throw DatabaseURLError(url: text, problem: .noHost)
        }
        return location
    }

    @Test(
        "anything but a postgres:// or postgresql:// URL is a SQLite path, as before",
        arguments: ["campaign.db", "/var/db/c.db", "postgres.db", "dir/postgres:/x.db", "", "C:\\a.db", "1://x"])
    func paths(text: String) throws {
        #expect(try DatabaseLocation(parsing: text, environment: [:]) == .sqlite(path: text))
    }

    @Test("a TCP URL: user, password, host, port, database, sslmode")
    func tcp() throws {
        let location = try postgres("postgresql://ada:pw@db.example.org:6543/campaigns?sslmode=verify-full")
        #expect(location.user == "ada")
        #expect(location.password?.value == "pw")
        #expect(location.endpoint == .tcp(host: "db.example.org", port: 6543))
        #expect(location.database == "campaigns")
        #expect(location.sslMode == .verifyFull)
        #expect(location.socketPath == nil)
    }

    @Test("defaults: port 5432, sslmode prefer over TCP (libpq's), disable over a socket")
    func defaults() throws {
        let tcp = try postgres("postgres://ada@127.0.0.1/c")
        #expect(tcp.endpoint == .tcp(host: "127.0.0.1", port: 5432))
        #expect(tcp.sslMode == .prefer)
        #expect(tcp.password == nil)
        let socket = try postgres("postgres://ada@/c?host=/run/pg")
        #expect(socket.endpoint == .socket(directory: "/run/pg", port: 5432))
        #expect(socket.sslMode == .disable)
        #expect(socket.socketPath == "/run/pg/.s.PGSQL.5432")
    }

    @Test("the unix-socket forms: ?host=/dir with port= picking the socket file; libpq's %2F host")
    func socket() throws {
        let location = try postgres("postgres://ada@/c?host=/tmp/pg/&port=6000&sslmode=prefer")
        #expect(location.endpoint == .socket(directory: "/tmp/pg/", port: 6000))
        #expect(location.socketPath == "/tmp/pg/.s.PGSQL.6000")
        #expect(location.sslMode == .disable)
        let encoded = try postgres("postgres://ada@%2Fvar%2Frun%2Fpostgresql:5433/c")
        #expect(encoded.endpoint == .socket(directory: "/var/run/postgresql", port: 5433))
        let encodedParameter = try postgres("postgres://ada@/c?host=%2Fvar%2Frun%2Fpostgresql")
        #expect(encodedParameter.socketPath == "/var/run/postgresql/.s.PGSQL.5432")
    }

    @Test("an IPv6 host in brackets")
    func ipv6() throws {
        #expect(try postgres("postgres://ada@[::1]:5433/c").endpoint == .tcp(host: "::1", port: 5433))
        #expect(try postgres("postgres://ada@[::1]/c").endpoint == .tcp(host: "::1", port: 5432))
    }

    @Test("user, password and database name are percent-decoded; a raw / ? # @ in the password is still its own")
    func percentDecoding() throws {
        let location = try postgres("postgres://d%C3%A9j%C3%A0:p%40ss%2Fw%3Ford@h/my%20db")
        #expect(location.user == "déjà")
        #expect(location.password?.value == "p@ss/w?ord")
        #expect(location.database == "my db")
        let raw = try postgres("postgres://ada:\(Self.secret)@h:5432/c")
        #expect(raw.password?.value == "s3cr/et@pa?ss#w%rd")
        #expect(raw.endpoint == .tcp(host: "h", port: 5432))
        #expect(raw.database == "c")
    }

    @Test("the password comes from the URL, else from PGPASSWORD; an empty one counts as none")
    func passwordSources() throws {
        #expect(try postgres("postgres://ada:url@h/c", environment: ["PGPASSWORD": "env"]).password?.value == "url")
        #expect(try postgres("postgres://ada@h/c", environment: ["PGPASSWORD": "env"]).password?.value == "env")
        #expect(try postgres("postgres://ada:@h/c", environment: ["PGPASSWORD": "env"]).password?.value == "env")
        #expect(try postgres("postgres://ada@h/c", environment: ["PGPASSWORD": ""]).password == nil)
        #expect(try postgres("postgres://ada@h/c", environment: [:]).hasPassword == false)
    }

    @Test(
        "a URL that does not parse names what is wrong",
        arguments: [
            ("postgres://ada@h", DatabaseURLError.Problem.noDatabaseName),
            ("postgres://ada@h/", .noDatabaseName),
            ("postgres://ada@h:54x/c", .badPort("54x")),
            ("postgres://ada@h:0/c", .badPort("0")),
            ("postgres://ada@h:65536/c", .badPort("65536")),
            ("postgres://ada@h:/c", .badPort("")),
            ("postgres://ada@/c?host=/d&port=-1", .badPort("-1")),
            ("postgres://ada@h:5432/c?port=5433", .portGivenTwice),
            ("postgres://ada@h/c?sslmode=always", .unknownSSLMode("always")),
            ("postgres://ada@h/c?connect_timeout=3", .unknownParameter("connect_timeout")),
            ("postgres://ada@h/c?password=x", .unknownParameter("password")),
            ("postgres://ada@h/c?sslmode=require&sslmode=disable", .repeatedParameter("sslmode")),
            ("postgres://ada@h/c?sslmode", .malformedParameter("sslmode")),
            ("postgres://ada@h/c?host=/run/pg", .hostAndSocket),
            ("postgres://ada@/c?host=run/pg", .socketNotAbsolute("run/pg")),
            ("postgres://ada@/c?host=/run/pg&sslmode=require", .tlsOverSocket(.require)),
            ("postgres://ada@/c?host=/run/pg&sslmode=verify-full", .tlsOverSocket(.verifyFull)),
            ("postgres://ada@/c", .noHost),
            ("postgres://ada@a,b/c", .severalHosts),
            ("postgres://h/c", .noUser),
            ("postgres://:pw@h/c", .noUser),
            ("postgres://ada@h/c?sslmode=prefer&x=a@b/d", .userNeedsEscaping),
            ("postgres://ada@h/c#x", .fragment),
            ("postgres://ad%zza@h/c", .badPercentEncoding(part: "user name")),
            ("postgres://ada@h/c%", .badPercentEncoding(part: "database name")),
            ("postgres+uds://ada@localhost/tmp/.s.PGSQL.5432#c", .unknownScheme("postgres+uds")),
            ("mysql://ada@h/c", .unknownScheme("mysql")),
        ])
    func problems(text: String, problem: DatabaseURLError.Problem) {
        #expect(throws: DatabaseURLError(url: PostgresURLParser.redacted(text), problem: problem)) {
            try DatabaseLocation(parsing: text, environment: [:])
        }
    }

    /// Every way a location or an error can become text: none shows the password.
    static func everyText(of value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return ["\(value)", String(describing: value), String(reflecting: value), dumped]
    }

    @Test("a location prints as its URL with *** for the password, however it is printed")
    func redacted() throws {
        let location = try postgres("postgres://ada:\(Self.secret)@db:6543/c?sslmode=require")
        #expect(location.redacted == "postgres://ada:***@db:6543/c?sslmode=require")
        let fromEnvironment = try postgres(
            "postgres://ada@/c?host=/run/pg&port=6000", environment: ["PGPASSWORD": "pw"])
        #expect(fromEnvironment.redacted == "postgres://ada:***@/c?host=/run/pg&port=6000")
        #expect(
            try postgres("postgres://d%C3%A9j%C3%A0@[::1]/my%20db").redacted
                == "postgres://d%C3%A9j%C3%A0@[::1]:5432/my%20db")
        let texts =
            Self.everyText(of: location) + Self.everyText(of: DatabaseLocation.postgres(location))
            + Self.everyText(of: fromEnvironment)
        for text in texts {
            #expect(!text.contains("s3cr"), "\(text)")
            #expect(!text.contains("pw"), "\(text)")
        }
    }

    @Test(
        "an error never shows the password, even in a URL that does not parse",
        arguments: [
            "postgres://ada:\(secret)@h:99999/c", "postgres://ada:\(secret)@h/c?sslmode=nope",
            "postgres://ada:\(secret)@h", "postgres://ada:\(secret)@h/c?password=\(secret)",
            "postgres://ada:\(secret)@h/c?host=/x", "postgresql://ada:\(secret)@",
            "postgres://ada@h/c?password=\(secret)",
            "postgres://ada@h/c?secret=\(secret)", "postgres://:\(secret)@h/c", "mysql://ada:\(secret)@h/c",
        ])
    func errorsRedacted(text: String) {
        do {
            let location = try DatabaseLocation(parsing: text, environment: [:])
            Issue.record("parsed: \(location)")
        } catch {
            for text in Self.everyText(of: error) { #expect(!text.contains("s3cr"), "\(text)") }
            #expect(error.url.contains("***"), "\(error)")
        }
    }

    @Test("sslmode becomes postgres-nio's TLS as libpq means it: prefer and require do not check the certificate")
    func tls() throws {
        func verification(_ mode: String) throws -> CertificateVerification {
            try postgres("postgres://ada@h/c?sslmode=\(mode)").tlsConfiguration.certificateVerification
        }
        #expect(try verification("prefer") == .none)
        #expect(try verification("require") == .none)
        #expect(try verification("verify-ca") == .noHostnameVerification)
        #expect(try verification("verify-full") == .fullVerification)
        func tls(_ mode: String) throws -> PostgresConnection.Configuration.TLS {
            try postgres("postgres://ada@h/c?sslmode=\(mode)").connectionConfiguration().tls
        }
        #expect(try tls("disable").isAllowed == false)
        #expect(try tls("prefer").isAllowed == true)
        #expect(try tls("prefer").isEnforced == false)
        for mode in ["require", "verify-ca", "verify-full"] { #expect(try tls(mode).isEnforced == true) }
        #expect(try postgres("postgres://ada@/c?host=/d").connectionConfiguration().tls.isAllowed == false)
    }

    @Test("every connection asks synchronous_commit=on and names itself; the pool holds at most 6")
    func connectionSettings() throws {
        let location = try postgres("postgres://ada:pw@/c?host=/run/pg")
        let connection = try location.connectionConfiguration()
        let client = location.clientConfiguration()
        for parameters in [connection.options.additionalStartupParameters, client.options.additionalStartupParameters] {
            #expect(parameters.contains { $0 == ("synchronous_commit", "on") })
            #expect(parameters.contains { $0 == ("application_name", "campaign") })
        }
        #expect(client.options.maximumConnections == 6)
        #expect(connection.unixSocketPath == "/run/pg/.s.PGSQL.5432")
        #expect(client.unixSocketPath == "/run/pg/.s.PGSQL.5432")
        #expect(connection.password == "pw")
        #expect(client.database == "c")
    }
}
