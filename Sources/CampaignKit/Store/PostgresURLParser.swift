import Foundation

/// Reads libpq's URL forms into a `PostgresLocation` (the forms are described there). By hand rather than with
/// Foundation's URL: libpq's socket form has an empty host (`user@/db`), and a password may hold characters a
/// strict URL parser rejects; every message must show the URL with that password hidden, parsed or not.
enum PostgresURLParser {
    static let schemes: Set<String> = ["postgres", "postgresql"]
    static let defaultPort = 5432
    static let parameters: Set<String> = ["host", "port", "sslmode"]

    /// The scheme of `text` when it starts like a URL (`letters://`), else nil: a path.
    static func scheme(of text: String) -> String? {
        guard let separator = text.range(of: "://") else { return nil }
        let scheme = text[..<separator.lowerBound]
        guard let first = scheme.first, first.isASCII, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return nil }
        return String(scheme)
    }

    /// The parts of a URL: userinfo ends at the *last* `@`, so a password holding `/`, `?` or `#` unescaped is
    /// still read (and hidden) as the password.
    struct Parts {
        var scheme: String
        var userinfo: Substring?
        var rest: Substring
    }

    static func split(_ text: String) -> Parts? {
        guard let scheme = scheme(of: text), let separator = text.range(of: "://") else { return nil }
        let body = text[separator.upperBound...]
        guard let at = body.lastIndex(of: "@") else { return Parts(scheme: scheme, userinfo: nil, rest: body) }
        return Parts(scheme: scheme, userinfo: body[..<at], rest: body[body.index(after: at)...])
    }

    /// `text` with the password (after the first `:` of the userinfo, up to the last `@`) and the value of every
    /// parameter but host, port and sslmode (`password=` above all, up to the next `&`) replaced by `***`.
    /// Works on text that does not parse, and hides too much rather than too little where the parts overlap.
    static func redacted(_ text: String) -> String {
        guard let separator = text.range(of: "://") else { return text }
        let body = text[separator.upperBound...]
        var secrets: [Range<String.Index>] = []
        if let at = body.lastIndex(of: "@"), let colon = body[..<at].firstIndex(of: ":") {
            secrets.append(body.index(after: colon)..<at)
        }
        if let question = body.firstIndex(of: "?") {
            for pair in body[body.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false) {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                let name = String(pair[..<equals])
                if !parameters.contains((decode(name) ?? name).lowercased()) {
                    secrets.append(pair.index(after: equals)..<pair.endIndex)
                }
            }
        }
        var result = ""
        var position = text.startIndex
        for secret in secrets.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if secret.lowerBound >= position {
                result += text[position..<secret.lowerBound] + "***"
            } else if secret.upperBound <= position {
                continue
            }
            position = max(position, secret.upperBound)
        }
        return result + text[position...]
    }

    static func parse(_ text: String, environment: [String: String]) throws(DatabaseURLError) -> PostgresLocation {
        let url = redacted(text)
        func fail(_ problem: DatabaseURLError.Problem) -> DatabaseURLError {
            DatabaseURLError(url: url, problem: problem)
        }
        guard let parts = split(text) else { throw fail(.noHost) }
        if parts.rest.contains("#") { throw fail(.fragment) }

        // userinfo: user[:password]
        var user = ""
        var password: String?
        if let userinfo = parts.userinfo {
            let colon = userinfo.firstIndex(of: ":")
            let rawUser = userinfo[..<(colon ?? userinfo.endIndex)]
            // The userinfo ends at the last @; a user name holding / ? # @ means an @ further on (in a
            // parameter's value, say) was taken for its end.
            if rawUser.contains(where: { "/?#@".contains($0) }) { throw fail(.userNeedsEscaping) }
            guard let decodedUser = decode(rawUser) else { throw fail(.badPercentEncoding(part: "user name")) }
            user = decodedUser
            if let colon {
                guard let decoded = decode(userinfo[userinfo.index(after: colon)...]) else {
                    throw fail(.badPercentEncoding(part: "password"))
                }
                password = decoded
            }
        }
        guard !user.isEmpty else { throw fail(.noUser) }

        // host[:port][/dbname][?parameters]
        var rest = parts.rest
        var query: Substring = ""
        if let question = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let hostPort = rest[..<slash]
        let path = slash < rest.endIndex ? rest[rest.index(after: slash)...] : ""
        guard let database = decode(path) else { throw fail(.badPercentEncoding(part: "database name")) }
        guard !database.isEmpty else { throw fail(.noDatabaseName) }
        if hostPort.contains(",") { throw fail(.severalHosts) }

        var host: Substring = hostPort
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw fail(.noHost) }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw fail(.noHost) }
        } else if let colon = hostPort.firstIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        }
        guard let decodedHost = decode(host) else { throw fail(.badPercentEncoding(part: "host")) }

        let given = try parameters(query, fail: fail)
        var port = defaultPort
        if let portText {
            if given["port"] != nil { throw fail(.portGivenTwice) }
            port = try parsePort(portText, fail: fail)
        } else if let text = given["port"] {
            port = try parsePort(text[...], fail: fail)
        }

        // libpq: a host that is an absolute path (in host= or percent-encoded in the authority) is a socket folder.
        let endpoint: PostgresLocation.Endpoint
        switch (decodedHost, given["host"]) {
        case ("", nil): throw fail(.noHost)
        case ("", let directory?):
            guard directory.hasPrefix("/") else { throw fail(.socketNotAbsolute(directory)) }
            endpoint = .socket(directory: directory, port: port)
        case (let name, nil):
            endpoint = name.hasPrefix("/") ? .socket(directory: name, port: port) : .tcp(host: name, port: port)
        case (_, _?): throw fail(.hostAndSocket)
        }

        var sslMode: PostgresLocation.SSLMode
        if case .socket = endpoint { sslMode = .disable } else { sslMode = .prefer }
        if let text = given["sslmode"] {
            guard let mode = PostgresLocation.SSLMode(rawValue: text) else { throw fail(.unknownSSLMode(text)) }
            sslMode = mode
        }
        if case .socket = endpoint, ![.disable, .prefer].contains(sslMode) { throw fail(.tlsOverSocket(sslMode)) }
        if case .socket = endpoint { sslMode = .disable }

        // An empty password (`user:@host`) counts as none, as an empty PGPASSWORD does.
        let secret =
            password.flatMap { $0.isEmpty ? nil : $0 } ?? environment["PGPASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        return PostgresLocation(
            user: user, database: database, endpoint: endpoint, sslMode: sslMode, sslModeGiven: given["sslmode"] != nil,
            password: secret.map { PostgresLocation.Password(value: $0) })
    }

    static func parameters(
        _ query: Substring, fail: (DatabaseURLError.Problem) -> DatabaseURLError
    ) throws(DatabaseURLError) -> [String: String] {
        var given: [String: String] = [:]
        for pair in query.split(separator: "&") {
            guard let equals = pair.firstIndex(of: "="), let name = decode(pair[..<equals]) else {
                throw fail(.malformedParameter(String(pair)))
            }
            guard parameters.contains(name) else { throw fail(.unknownParameter(name)) }
            guard let value = decode(pair[pair.index(after: equals)...]) else {
                throw fail(.badPercentEncoding(part: "\(name) parameter"))
            }
            guard given[name] == nil else { throw fail(.repeatedParameter(name)) }
            given[name] = value
        }
        return given
    }

    static func parsePort(
        _ text: Substring, fail: (DatabaseURLError.Problem) -> DatabaseURLError
    ) throws(DatabaseURLError) -> Int {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(text),
            (1...65535).contains(port)
        else { throw fail(.badPort(String(text))) }
        return port
    }

    /// Percent-decoding as libpq does it (`+` stays `+`); nil for a bad escape or bytes that are not UTF-8.
    static func decode<S: StringProtocol>(_ text: S) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Percent-encodes what would end or split a URL's part, so a redacted URL reads back as the same place.
    static func encode(_ text: String) -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.isASCII && allowed.contains(scalar) {
                result.unicodeScalars.append(scalar)
            } else {
                for byte in String(scalar).utf8 { result += String(format: "%%%02X", byte) }
            }
        }
        return result
    }
}
