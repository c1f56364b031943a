import Foundation

/// The two things a run needs to reach Poku, checked before anything is sent: the key and the URL.
/// Neither is ever echoed: a key or a password in an error message ends up in logs and terminals.
public enum APIAccess {
    /// `POKU_API_KEY` as it is sent: surrounding whitespace trimmed (a secret mounted from a file, a CRLF
    /// `.env`), `nil` when absent or blank. A key with any other character outside printable ASCII (a
    /// control character inside it, a non-ASCII letter) is refused: it cannot be a key, and an HTTP
    /// library would refuse the header and quote it in its error.
    public static func key(fromEnvironment raw: String?) throws(APIAccessError) -> String? {
        guard let raw else { return nil }
        let key = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if key.isEmpty { return nil }
        for (offset, scalar) in key.unicodeScalars.enumerated() where !(0x20...0x7E).contains(scalar.value) {
            throw .keyHasBadCharacter(position: offset + 1, control: scalar.value < 0x20 || scalar.value == 0x7F)
        }
        return key
    }

    /// The API's base URL: http or https with a host, no `user:password@` part, and plain http only to a
    /// loopback host unless `allowInsecureHTTP` (the key would cross the network in clear).
    public static func baseURL(_ text: String, allowInsecureHTTP: Bool) throws(APIAccessError) -> URL {
        // Checked on the text first: a URL that does not parse may still hold a password.
        let afterScheme = text.range(of: "://").map { text[$0.upperBound...] } ?? text[...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.contains("@") { throw .userInfo }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = url.host, !host.isEmpty
        else { throw .notHTTP(text) }
        if url.user != nil || url.password != nil { throw .userInfo }
        if scheme == "http" && !allowInsecureHTTP && !isLoopback(host) { throw .insecureHTTP(host: host) }
        return url
    }

    /// `localhost`, 127.0.0.0/8 and ::1: the only hosts plain http may reach without the flag.
    static func isLoopback(_ host: String) -> Bool {
        var host = host.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// A key or URL a run cannot use. The key and any password are never part of the text.
public enum APIAccessError: Error, Sendable, Equatable, CustomStringConvertible {
    case keyHasBadCharacter(position: Int, control: Bool)
    case userInfo
    case notHTTP(String)
    case insecureHTTP(host: String)

    public var description: String {
        switch self {
        case .keyHasBadCharacter(let position, let control):
            return "POKU_API_KEY has \(control ? "a control character" : "a character outside printable ASCII") "
                + "at position \(position) (not shown); set it to the key alone"
        case .userInfo:
            return "--api-url contains a user name or password (user:password@host; not shown); remove it: "
                + "the API key in POKU_API_KEY is the only credential sent"
        case .notHTTP(let text):
            return "--api-url \(text) is not an http(s) URL with a host"
        case .insecureHTTP(let host):
            return "--api-url uses plain http to \(host), which is not this machine: the API key would cross the "
                + "network unencrypted. Use https, or pass --allow-insecure-http if you mean it"
        }
    }
}
