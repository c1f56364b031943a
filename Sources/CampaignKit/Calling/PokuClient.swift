import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The real `CallingClient`: Poku's HTTP API over AsyncHTTPClient, every failure classified as
/// docs/poku-api.md ("How every answer is classified") says, above all whether a call may have been placed.
///
/// The API key is held here and only ever written into the `Authorization` header; descriptions,
/// mirrors and errors show `Bearer ***`. Redirects are refused (a followed POST could dial twice).
/// Call `shutdown()` before the last reference goes: AsyncHTTPClient traps in debug builds otherwise.
public final class PokuClient: CallingClient, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// Where and how to talk to the API.
    public struct Configuration: Sendable {
        var baseURL: URL
        /// Deadline for a status request or an asynchronous POST.
        var requestTimeout: Duration
        /// Deadline for a `waitForCallEnd` POST: the API holds it for up to ~10 minutes.
        var waitForCallEndTimeout: Duration
        /// How long establishing a connection may take before the request counts as never sent.
        var connectTimeout: Duration
        /// Connections kept to the API at once (`connections(maxParallel:waitForCallEnd:)`). A `waitForCallEnd`
        /// POST holds one for minutes, so then this must be at least the dispatcher's `--max-parallel` plus
        /// polls; requests beyond it wait in the pool, unsent.
        var maxConnections: Int
        /// Connections to keep for a run of `maxParallel` calls. A `waitForCallEnd` POST holds its connection
        /// for the whole call: one each, and 8 for polls that overlap a slot's next POST. Polling, a request
        /// holds one for about a millisecond, so a few hundred carry thousands of calls; more cost CPU for
        /// nothing: AsyncHTTPClient's HTTP/1.1 pool scans its connections for an idle one on every request and
        /// copies the list for every new one, 8 % of a run's CPU at 5,000 (scripts/bench-scale.sh).
        public static func connections(maxParallel: Int, waitForCallEnd: Bool) -> Int {
            let oneEach = max(64, maxParallel + 8)
            return waitForCallEnd ? oneEach : min(oneEach, pollingConnections)
        }

        /// The most connections a polling run keeps.
        static let pollingConnections = 256

        /// The clock an HTTP-date `Retry-After` is measured against; injectable for tests.
        var now: @Sendable () -> Date

        public init(
            baseURL: URL, requestTimeout: Duration = .seconds(30), waitForCallEndTimeout: Duration = .seconds(11 * 60),
            connectTimeout: Duration = .seconds(10), maxConnections: Int = 64,
            now: @escaping @Sendable () -> Date = { Date() }
        ) {
            self.baseURL = baseURL
            self.requestTimeout = requestTimeout
            self.waitForCallEndTimeout = waitForCallEndTimeout
            self.connectTimeout = connectTimeout
            self.maxConnections = maxConnections
            self.now = now
        }
    }

    let configuration: Configuration
    private let apiKey: String
    private let redactor: SecretRedactor
    private let http: HTTPClient
    /// Bodies beyond this are not an answer Poku would send; reading stops there.
    private static let maxBodyBytes = 4 << 20

    public init(configuration: Configuration, apiKey: String) {
        self.configuration = configuration
        self.apiKey = apiKey
        self.redactor = SecretRedactor(secret: apiKey)
        var httpConfiguration = HTTPClient.Configuration(
            // A redirected POST could be sent twice; Poku never redirects, so a redirect is an error.
            redirectConfiguration: .disallow,
            timeout: .init(connect: Self.timeAmount(configuration.connectTimeout), read: nil)
        )
        // Fail a refused connection at once (as `.notSent`) and let the dispatcher's backoff decide.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        httpConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(
            1, configuration.maxConnections)
        // No tracing: with no tracer set, AsyncHTTPClient takes the global one, a no-op, and still builds each
        // request's span attributes (parsing its URL a second time): 3 % of a polling run's CPU (perf).
        httpConfiguration.tracing.tracer = nil
        // Against a server that writes head and body apart, a reused connection would otherwise wait
        // about 40 ms per answer for our delayed ACK (see QuickAckHandler).
        httpConfiguration.http1_1ConnectionDebugInitializer = { QuickAckHandler.install(on: $0) }
        httpConfiguration.http2ConnectionDebugInitializer = { QuickAckHandler.install(on: $0) }
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
    }

    public var description: String {
        "PokuClient(baseURL: \(configuration.baseURL.absoluteString), authorization: Bearer ***)"
    }
    public var debugDescription: String { description }

    public var api: String { Self.apiName(configuration.baseURL) }

    /// A base URL as `api` names it: scheme, host, port and path, never a user or password, no trailing '/'.
    static func apiName(_ url: URL) -> String {
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false) ?? URLComponents()
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        var text = components.string ?? "\(url.scheme ?? "")://\(url.host ?? "")"
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
    public var customMirror: Mirror {
        Mirror(self, children: ["baseURL": configuration.baseURL, "authorization": "Bearer ***"])
    }

    /// Closes the client's connections; call once, when no request is running any more.
    public func shutdown() async {
        try? await http.shutdown()
    }

    // MARK: CallingClient

    public func placeCall(_ request: CallRequest) async throws(CallingError) -> PlacedCall {
        do {
            return try await placeCallUnredacted(request)
        } catch {
            throw redactor.clean(error)
        }
    }

    public func status(of interactionID: String) async throws(CallingError) -> CallStatusReport {
        do {
            return try await statusUnredacted(of: interactionID)
        } catch {
            throw redactor.clean(error)
        }
    }

    private func placeCallUnredacted(_ request: CallRequest) async throws(CallingError) -> PlacedCall {
        let body: Data
        do {
            body = try JSONEncoder().encode(request)
        } catch {
            throw .notSent(reason: "the request could not be encoded: \(error)")
        }
        let timeout =
            request.waitForCallEnd == true ? configuration.waitForCallEndTimeout : configuration.requestTimeout
        let answer = try await send(.POST, path: "/calls", body: body, timeout: timeout)
        guard (200..<300).contains(answer.status) else {
            throw Self.classify(answer, endpoint: .placeCall, now: configuration.now())
        }
        guard let object = Self.jsonObject(answer.body), let id = object["interactionId"] as? String, !id.isEmpty
        else {
            throw .outcomeUnknown(status: answer.status, reason: "the answer to POST /calls is unreadable")
        }
        // The call was placed; an id that cannot go into a URL path (`..`, `a/b`) cannot be followed, and
        // the person must not be called again on a guess: the job becomes unknown, with the id shown.
        guard Self.isUsableInteractionID(id) else {
            throw .outcomeUnknown(
                status: answer.status,
                reason: "the API answered with an unusable interaction id '\(ServerText.line(String(id.prefix(140))))' "
                    + "(not 1-128 of A-Z a-z 0-9 . _ -); the call may have been placed")
        }
        let raw = String(decoding: answer.body, as: UTF8.self)
        let call = object["call"] as? [String: Any]
        let summary = (object["response"] as? String).map(ServerText.text)
        let recording = (call?["recordingUrl"] as? String ?? object["recordingUrl"] as? String).map(ServerText.line)
        let completion =
            (summary != nil || call != nil)
            ? CallCompletion(summary: summary, recordingURL: recording, rawJSON: raw) : nil
        return PlacedCall(interactionID: id, completion: completion, rawJSON: raw)
    }

    private func statusUnredacted(of interactionID: String) async throws(CallingError) -> CallStatusReport {
        // Only an id placeCall accepted goes into the path: `..` or a slash would address another resource.
        guard Self.isUsableInteractionID(interactionID) else {
            throw .rejected(
                status: 0,
                message:
                    "interaction id '\(ServerText.line(String(interactionID.prefix(140))))' is not usable in a URL; "
                    + "nothing was sent")
        }
        let answer = try await send(
            .GET, path: "/interactions/\(interactionID)/status", body: nil, timeout: configuration.requestTimeout
        )
        guard (200..<300).contains(answer.status) else {
            throw Self.classify(answer, endpoint: .status(interactionID), now: configuration.now())
        }
        let raw = String(decoding: answer.body, as: UTF8.self)
        guard let object = Self.jsonObject(answer.body), let state = object["status"] as? String else {
            throw .outcomeUnknown(status: answer.status, reason: "the status answer is unreadable")
        }
        switch state {
        case "pending":
            return CallStatusReport(state: .pending, rawJSON: raw)
        case "ended":
            let event = object["completionEvent"] as? [String: Any]
            // The status answer as received is kept as the completion's raw JSON: it holds the event
            // verbatim, unknown fields included, and costs no second serialization per ended call.
            return CallStatusReport(
                state: .ended(event.map { Self.completion(fromEvent: $0, rawJSON: raw) }), rawJSON: raw)
        default:
            throw .outcomeUnknown(status: answer.status, reason: "unknown call status '\(ServerText.line(state))'")
        }
    }

    /// 1-128 of `[A-Za-z0-9._-]`, and not `.` or `..`: what can stand as one URL path segment unescaped.
    static func isUsableInteractionID(_ id: String) -> Bool {
        let bytes = id.utf8
        guard (1...128).contains(bytes.count), id != ".", id != ".." else { return false }
        return bytes.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
        }
    }

    // MARK: decoding

    /// A `completionEvent` in either form docs/poku-api.md allows: wrapped in `payload`, or bare.
    /// `recordingUrl` is looked for in the fields and in a nested `call` object.
    static func completion(fromEvent event: [String: Any], rawJSON: String? = nil) -> CallCompletion {
        let fields = event["payload"] as? [String: Any] ?? event
        let call = fields["call"] as? [String: Any] ?? event["call"] as? [String: Any]
        let recording =
            fields["recordingUrl"] as? String ?? call?["recordingUrl"] as? String ?? event["recordingUrl"] as? String
        let raw =
            rawJSON
            ?? (try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys, .withoutEscapingSlashes]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return CallCompletion(
            summary: (fields["summary"] as? String).map(ServerText.text), recordingURL: recording.map(ServerText.line),
            rawJSON: raw)
    }

    static func jsonObject(_ data: Data) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    // MARK: transport

    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
    }

    enum Endpoint {
        case placeCall
        case status(String)
    }

    private func send(_ method: HTTPMethod, path: String, body: Data?, timeout: Duration)
        async throws(CallingError) -> Answer
    {
        var base = configuration.baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        // One deadline for the whole exchange: AsyncHTTPClient's own covers only the response head, and a
        // body that stalls after it must not hold a slot (and a `dialing` job) forever.
        let deadline = NIODeadline.now() + Self.timeAmount(timeout)
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, deadline: deadline)
        } catch {
            throw Self.classify(transportError: error)
        }
        let status = Int(response.status.code)
        do {
            let buffer = try await collect(response.body, deadline: deadline)
            return Answer(status: status, headers: response.headers, body: Data(buffer.readableBytesView))
        } catch {
            // The status line arrived, so the request was sent; for an error status the status
            // alone classifies it, for a 2xx the lost body makes the outcome unknown.
            if (200..<300).contains(status) {
                throw .outcomeUnknown(status: status, reason: "the answer's body was lost: \(error)")
            }
            return Answer(status: status, headers: response.headers, body: Data())
        }
    }

    /// The body, up to `maxBodyBytes`, or an error once `deadline` passes (reading is cancelled, which
    /// closes the connection).
    ///
    /// The deadline is an event-loop timer that cancels the reading task, not a sleeping task raced against
    /// it: a cancelled `Task.sleep` stays allocated, with its dispatch timer, until its deadline. At 2,000
    /// status requests a second with a 30 s deadline that was some 60,000 sleeping tasks in one timer heap,
    /// which every request resifted (`_dispatch_timer_heap_resift`, with the follows' own sleeps 4 % of the
    /// CPU of a run following 2,000 calls; perf, scripts/bench-scale.sh).
    private func collect(_ body: HTTPClientResponse.Body, deadline: NIODeadline) async throws -> ByteBuffer {
        let reader = Task { try await body.collect(upTo: Self.maxBodyBytes) }
        let timer = http.eventLoopGroup.any().scheduleTask(deadline: deadline) { reader.cancel() }
        defer { timer.cancel() }
        do {
            return try await withTaskCancellationHandler {
                try await reader.value
            } onCancel: {
                reader.cancel()
            }
        } catch {
            if NIODeadline.now() >= deadline { throw HTTPClientError.deadlineExceeded }
            throw error
        }
    }

    /// An HTTP error status, per docs/poku-api.md's table ("How every answer is classified").
    static func classify(_ answer: Answer, endpoint: Endpoint, now: Date) -> CallingError {
        let message = errorMessage(answer)
        switch answer.status {
        case 400, 422:
            return .rejected(status: answer.status, message: message)
        case 401, 403:
            return .unauthorized(status: answer.status, message: message)
        case 402:
            return .outOfCredits(message: message)
        case 404:
            if case .status(let id) = endpoint { return .interactionNotFound(id) }
            return .rejected(status: 404, message: message)
        case 501:
            // "Not Implemented": the server does not serve this method here, so nothing was placed. The
            // dispatcher stops the run on it, as on a 404 or 405 to POST /calls (a wrong --api-url).
            return .rejected(status: 501, message: message)
        case 429:
            return .rateLimited(
                status: 429, retryAfter: RetryAfter.parse(answer.headers.first(name: "Retry-After"), now: now))
        case 503:
            if let header = answer.headers.first(name: "Retry-After"),
                let wait = RetryAfter.parse(header, now: now)
            {
                return .rateLimited(status: 503, retryAfter: wait)
            }
            return .outcomeUnknown(status: 503, reason: message)
        case 405..<500:
            // Not in the table: the API refused this request as such, so no call was placed.
            return .rejected(status: answer.status, message: message)
        default:
            // 5xx, and anything else unexpected (1xx, 3xx): we cannot know whether a call was placed.
            return .outcomeUnknown(status: answer.status, reason: message)
        }
    }

    /// The `error` of a JSON error body, else the start of the body's text, else the status.
    static func errorMessage(_ answer: Answer) -> String {
        if let object = jsonObject(answer.body), let error = object["error"] as? String {
            if let code = object["code"] as? String, !code.isEmpty { return "\(error) (\(code))" }
            return error
        }
        let text = String(decoding: answer.body.prefix(300), as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines)
        return text.isEmpty ? "HTTP \(answer.status)" : "HTTP \(answer.status): \(text)"
    }

    /// A request that got no HTTP answer: `.notSent` only when it provably never left (the
    /// connection was never established), otherwise the call may exist.
    static func classify(transportError error: any Error) -> CallingError {
        let reason = String(describing: error)
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .connectTimeout, .getConnectionFromPoolTimeout, .invalidURL, .emptyHost, .emptyScheme,
                .alreadyShutdown, .socksHandshakeTimeout, .httpProxyHandshakeTimeout, .tlsHandshakeTimeout,
                .missingSocketPath, .traceRequestWithBody:
                return .notSent(reason: reason)
            default:
                // Refused while the request was being validated, before any connection was used.
                let validation = ["unsupportedScheme", "invalidHeaderFieldNames", "invalidHeaderFieldValues"]
                if validation.contains(where: error.description.contains) { return .notSent(reason: reason) }
                return .outcomeUnknown(status: nil, reason: reason)
            }
        case is NIOConnectionError, is SocketAddressError:
            return .notSent(reason: reason)
        case let error as ChannelError:
            if case .connectTimeout = error { return .notSent(reason: reason) }
            return .outcomeUnknown(status: nil, reason: reason)
        case let error as IOError:
            // Errors of socket() and connect(): no connection existed, so no byte of the request left.
            // EMFILE/ENFILE/ENOBUFS come only from creating a descriptor, never from writing to one.
            let connectErrnos: Set<Int32> = [
                ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL, EAFNOSUPPORT, EMFILE, ENFILE, ENOBUFS,
            ]
            if connectErrnos.contains(error.errnoCode) { return .notSent(reason: reason) }
            return .outcomeUnknown(status: nil, reason: reason)
        default:
            return .outcomeUnknown(status: nil, reason: reason)
        }
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
