/// What `--db` and `CAMPAIGN_DB` name: a SQLite file (a path, as always) or a PostgreSQL database (a URL).
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// A value starting with `postgres://` or `postgresql://` is a URL (see `PostgresLocation` for its forms);
    /// another `scheme://` is refused rather than taken for a file name; anything else is a path.
    /// `environment` supplies `PGPASSWORD` when the URL carries no password.
    public init(parsing text: String, environment: [String: String]) throws(DatabaseURLError) {
        guard let scheme = PostgresURLParser.scheme(of: text) else {
            self = .sqlite(path: text)
            return
        }
        guard PostgresURLParser.schemes.contains(scheme.lowercased()) else {
            throw DatabaseURLError(url: PostgresURLParser.redacted(text), problem: .unknownScheme(scheme))
        }
        self = .postgres(try PostgresURLParser.parse(text, environment: environment))
    }

    /// The path, or the URL with its password hidden: safe to print.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let location): location.redacted
        }
    }

    public var debugDescription: String { description }
}
