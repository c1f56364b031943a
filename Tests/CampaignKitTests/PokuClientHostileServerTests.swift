import Foundation
import NIOCore
import Testing

@testable import CampaignKit

/// The real client against a loopback server that misbehaves on purpose (`CannedHTTPServer`): what it
/// must never do is wait forever, put server bytes on the user's terminal, or follow an id into another path.
@Suite struct PokuClientHostileServerTests {
    static let request = CallRequest(prompt: "Hi", to: "+442079460001")

    /// Runs `body` with a client for `server`, then shuts both down. The deadline is long unless a test is about
    /// it: a CI run beside builds has taken over a second to answer a canned response on loopback.
    func withClient<T>(
        _ server: CannedHTTPServer, apiKey: String = "hostile-test-key", requestTimeout: Duration = .seconds(30),
        _ body: (PokuClient) async throws -> T
    ) async throws -> T {
        let client = PokuClient(
            configuration: .init(baseURL: server.baseURL, requestTimeout: requestTimeout), apiKey: apiKey)
        defer {
            Task {
                await client.shutdown(); await server.shutdown()
            }
        }
        return try await body(client)
    }

    enum Outcome: Sendable {
        case succeeded
        case failed(CallingError)
        case timedOut
    }

    /// How `operation` ends, or `.timedOut` when it neither succeeds nor fails within `seconds`.
    func outcome(within seconds: Double, _ operation: @escaping @Sendable () async -> CallingError?) async -> Outcome {
        await withTaskGroup(of: Outcome.self) { group in
            group.addTask { await operation().map(Outcome.failed) ?? .succeeded }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            group.cancelAll()
            return first
        }
    }

    /// The error placing `request` fails with, `nil` when it succeeds.
    static func placeError(_ client: PokuClient) async -> CallingError? {
        do {
            _ = try await client.placeCall(request)
            return nil
        } catch {
            return error
        }
    }

    static func statusError(_ client: PokuClient, _ id: String) async -> CallingError? {
        do {
            _ = try await client.status(of: id)
            return nil
        } catch {
            return error
        }
    }

    @Test("a 200 whose body stalls after the head fails by the request deadline, as unknown")
    func stalledBody() async throws {
        // Content-Length promises 100 bytes; 10 come, then nothing, and the socket stays open.
        let server = try await CannedHTTPServer.start { _ in
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"interact"
        }
        try await withClient(server, requestTimeout: .seconds(1)) { client in
            let started = ContinuousClock.now
            let result = await outcome(within: 15) { await Self.placeError(client) }
            guard case .failed(let error) = result else {
                Issue.record("the stalled body held the request past 15 s: \(String(describing: result))")
                return
            }
            #expect(ErrorShape(error).kind == "outcomeUnknown")
            // The deadline is 1 s. How soon it is delivered is not asserted tighter than the 15 s bound above:
            // the end-to-end tests wait for their child processes on Swift-concurrency threads, and a full run
            // beside builds has been seen to deliver it at 5.9 s and 11 s (1.0 s alone). Without a body deadline
            // the request never ends.
            _ = started
        }
    }

    @Test("a stalled status body fails by the deadline too")
    func stalledStatusBody() async throws {
        let server = try await CannedHTTPServer.start { _ in
            "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"status\":"
        }
        try await withClient(server, requestTimeout: .seconds(1)) { client in
            let result = await outcome(within: 15) { await Self.statusError(client, "abc-123") }
            guard case .failed = result else {
                Issue.record("the stalled status body held the request: \(String(describing: result))")
                return
            }
        }
    }

    @Test(
        "an interaction id that is not 1-128 of [A-Za-z0-9._-], or is . or .., makes the call unknown",
        arguments: ["..", ".", "a/../b", "", String(repeating: "a", count: 129), "id with space", "ïd"])
    func oddInteractionIDs(id: String) async throws {
        let body = "{\"interactionId\":\"\(id)\"}"
        let server = try await CannedHTTPServer.start { _ in CannedHTTPServer.answer("200 OK", body: body) }
        try await withClient(server) { client in
            let error = await Self.placeError(client)
            #expect(error.map(ErrorShape.init)?.kind == "outcomeUnknown", "\(id): \(String(describing: error))")
            // A status request with such an id is never sent: the server saw the POST only.
            let statusError = await Self.statusError(client, id)
            #expect(statusError != nil)
            #expect(server.requestLines.count == 1, "\(server.requestLines)")
        }
    }

    @Test("a usable id of 128 characters is accepted and followed at its own path")
    func longestUsableID() async throws {
        let id = String(repeating: "a1._-", count: 25) + "abc"
        let server = try await CannedHTTPServer.start { line in
            line.hasPrefix("POST")
                ? CannedHTTPServer.answer("200 OK", body: "{\"interactionId\":\"\(id)\"}")
                : CannedHTTPServer.answer("200 OK", body: "{\"status\":\"pending\"}")
        }
        try await withClient(server) { client in
            let placed = try await client.placeCall(Self.request)
            #expect(placed.interactionID == id)
            let report = try await client.status(of: id)
            #expect(report.state == .pending)
            #expect(server.requestLines.last == "GET /interactions/\(id)/status HTTP/1.1")
        }
    }

    @Test("control characters in server text are stripped from errors, summaries and recording URLs")
    func controlCharacters() async throws {
        let escape = "\\u001b]0;owned\\u0007\\u001b[2J"
        let server = try await CannedHTTPServer.start { line in
            if line.hasPrefix("POST") {
                return CannedHTTPServer.answer(
                    "400 Bad Request", body: "{\"error\":\"bad \(escape)request\\r\\nforged line\"}")
            }
            return CannedHTTPServer.answer(
                "200 OK",
                body: "{\"status\":\"ended\",\"completionEvent\":{\"summary\":\"said \(escape)yes\\nthen bye\","
                    + "\"recordingUrl\":\"https://r.invalid/\(escape)x\"}}")
        }
        try await withClient(server) { client in
            let error = await Self.placeError(client)
            guard case .rejected(_, let message)? = error else {
                Issue.record("expected a rejection, got \(String(describing: error))")
                return
            }
            #expect(
                !message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "\(message.debugDescription)")
            #expect(message.contains("forged line"))
            let report = try await client.status(of: "abc")
            guard case .ended(let completion?) = report.state else {
                Issue.record("expected an ended call, got \(report.state)")
                return
            }
            let summary = try #require(completion.summary)
            #expect(!summary.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(summary.debugDescription)")
            #expect(summary.contains("yes\nthen bye"))
            let url = try #require(completion.recordingURL)
            #expect(!url.unicodeScalars.contains { $0.value < 0x20 }, "\(url.debugDescription)")
        }
    }

    @Test("a key with a trailing newline never reaches an error text; a refused header is 'not sent'")
    func keyNeverInErrors() async throws {
        let key = "sk-live-secret-0123456789"
        let server = try await CannedHTTPServer.start { _ in CannedHTTPServer.answer("200 OK", body: "{}") }
        try await withClient(server, apiKey: key + "\r\n") { client in
            let error = await Self.placeError(client)
            let shape = error.map(ErrorShape.init)
            #expect(shape?.kind == "notSent", "\(String(describing: error))")
            #expect(!String(describing: error).contains("secret-0123"), "\(String(describing: error))")
            #expect(server.requestLines.isEmpty)
        }
    }

    @Test("a server that echoes the key back has it cut out of the message")
    func echoedKeyRedacted() async throws {
        let key = "sk-live-echoed-98765"
        let server = try await CannedHTTPServer.start { _ in
            CannedHTTPServer.answer("422 Unprocessable", body: "{\"error\":\"key Bearer \(key) is not for this\"}")
        }
        try await withClient(server, apiKey: key) { client in
            let error = await Self.placeError(client)
            #expect(error != nil)
            #expect(!String(describing: error).contains(key), "\(String(describing: error))")
        }
    }

    @Test("501 to POST /calls is a refusal (no call placed), not an unknown outcome")
    func notImplemented() async throws {
        let server = try await CannedHTTPServer.start { _ in
            CannedHTTPServer.answer("501 Not Implemented", body: "{\"error\":\"no such method\"}")
        }
        try await withClient(server) { client in
            let error = await Self.placeError(client)
            #expect(error.map(ErrorShape.init) == ErrorShape("rejected", 501))
        }
    }

    @Test("EMFILE and ENFILE from socket() are 'not sent': no connection, no byte left")
    func descriptorExhaustion() {
        for code in [EMFILE, ENFILE, ENOBUFS] {
            #expect(
                ErrorShape(PokuClient.classify(transportError: IOError(errnoCode: code, reason: "socket"))).kind
                    == "notSent")
        }
    }

    @Test("Retry-After: huge values and dates in five-digit years are capped, never a crash or year 12026")
    func retryAfterBounds() {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        let huge = RetryAfter.parse("999999999999999999999999", now: now)
        #expect(huge != nil)
        #expect(huge.map { $0 <= .seconds(100 * 366 * 86400) } == true)
        #expect(RetryAfter.parse("315360000", now: now).map { $0 > RetryAfter.longestPause } == true)
        if let far = RetryAfter.parse("Fri, 01 Jan 12026 00:00:00 GMT", now: now) {
            #expect(far <= .seconds(100 * 366 * 86400))
        }
        #expect(RetryAfter.parse("3600", now: now) == .seconds(3600))
    }

    @Test("a timestamp is always 24 characters and reads back, whatever the date")
    func timestampsAreValidated() {
        for date in [
            Date(timeIntervalSince1970: 1e12), Date(timeIntervalSince1970: -1e9), Date.distantFuture,
            Date(timeIntervalSince1970: .nan), Date(timeIntervalSince1970: 1_795_000_000.25),
        ] {
            let text = Timestamp.string(date)
            #expect(text.utf8.count == 24, "\(text)")
            #expect(Timestamp.date(text) != nil, "\(text)")
        }
    }
}
