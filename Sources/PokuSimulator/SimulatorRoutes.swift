import Foundation
import Hummingbird
import NIOCore

/// The HTTP face of the simulator: docs/poku-api.md's two endpoints plus `/_sim/` control endpoints.
struct SimulatorRoutes: Sendable {
    let state: SimulatorState

    /// Thrown after a fault closed the connection; the server's attempt to answer then fails quietly.
    struct ConnectionDropped: Error {}

    func register(on router: Router<SimulatorRequestContext>) {
        router.post("calls") { request, context in try await placeCall(request, context) }
        router.get("interactions/:id/status") { request, context in try await status(request, context) }
        router.get("_sim/ledger") { _, _ in try await ledger() }
        router.post("_sim/script") { request, _ in try await loadScript(request) }
    }

    // MARK: POST /calls

    private func placeCall(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let body = Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)
        let object = CallRequestValidator.object(body)
        let to = object?["to"] as? String
        let sequence = await state.record(
            method: "POST", path: "/calls", to: to, prompt: object?["prompt"] as? String
        )
        guard isAuthorized(request) else {
            await state.complete(sequence, status: 401)
            return Self.error(401, "missing or invalid API key", code: "unauthorized")
        }
        let fault = await state.nextFault(for: to)
        try await pause(seconds: fault.delay + (await state.responseDelay))

        switch fault.kind {
        case .httpError(let status):
            await state.complete(sequence, status: status, fault: fault)
            return Self.faultResponse(status: status, retryAfter: fault.retryAfter)
        case .dropBeforePlace:
            await state.complete(sequence, status: nil, placed: false, fault: fault, dropped: true)
            return try await drop(context)
        case .ok, .dropAfterPlace, .malformedBody, .statusNotFound:
            break
        }

        let valid: CallRequestValidator.Valid
        switch CallRequestValidator.validate(body) {
        case .failure(let failure):
            await state.complete(sequence, status: failure.status, fault: fault)
            return Self.error(failure.status, failure.message, code: failure.code)
        case .success(let success):
            valid = success
        }

        let call = await state.placeCall(to: valid.to, from: valid.from, statusNotFound: fault.kind == .statusNotFound)
        switch fault.kind {
        case .dropAfterPlace:
            await state.complete(
                sequence, status: nil, interactionID: call.interactionID, placed: true, fault: fault, dropped: true
            )
            return try await drop(context)
        case .malformedBody:
            await state.complete(sequence, status: 200, interactionID: call.interactionID, placed: true, fault: fault)
            return Self.raw(200, "{\"interactionId\": \"\(call.interactionID)\", \"response\": ")
        default:
            break
        }
        if valid.waitForCallEnd {
            await state.complete(sequence, status: nil, interactionID: call.interactionID, placed: true, fault: fault)
            try await Task.sleep(until: call.endsAt, clock: .continuous)
            await state.complete(sequence, status: 200, interactionID: call.interactionID, placed: true, fault: fault)
            return Self.json(200, call.waitForCallEndBody())
        }
        await state.complete(sequence, status: 200, interactionID: call.interactionID, placed: true, fault: fault)
        return Self.json(200, ["interactionId": call.interactionID])
    }

    // MARK: GET /interactions/{id}/status

    private func status(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        let sequence = await state.record(method: "GET", path: request.uri.path, to: nil, prompt: nil)
        guard isAuthorized(request) else {
            await state.complete(sequence, status: 401)
            return Self.error(401, "missing or invalid API key", code: "unauthorized")
        }
        let fault = await state.statusFault
        try await pause(seconds: fault.delay + (await state.responseDelay))
        let call = await state.call(id)
        switch fault.kind {
        case .httpError(let status):
            await state.complete(sequence, status: status, interactionID: call?.interactionID, fault: fault)
            return Self.faultResponse(status: status, retryAfter: fault.retryAfter)
        case .dropBeforePlace, .dropAfterPlace:
            await state.complete(sequence, status: nil, interactionID: call?.interactionID, fault: fault, dropped: true)
            return try await drop(context)
        case .malformedBody:
            await state.complete(sequence, status: 200, interactionID: call?.interactionID, fault: fault)
            return Self.raw(200, "{\"interactionId\": ")
        case .ok, .statusNotFound:
            break
        }
        guard let call, !call.statusNotFound, fault.kind != .statusNotFound else {
            await state.complete(sequence, status: 404, interactionID: call?.interactionID, fault: fault)
            return Self.error(404, "no interaction with id \(id)", code: "not_found")
        }
        await state.complete(sequence, status: 200, interactionID: call.interactionID, fault: fault)
        return Self.json(200, call.statusBody(at: .now))
    }

    // MARK: control endpoints

    private func ledger() async throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(await state.snapshot())
        return Self.raw(200, String(decoding: data, as: UTF8.self))
    }

    private func loadScript(_ request: Request) async throws -> Response {
        let body = Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)
        do {
            await state.loadScript(try FaultScript(json: body))
            return Self.json(200, ["loaded": true])
        } catch {
            return Self.error(400, error.description, code: "bad_script")
        }
    }

    // MARK: helpers

    private func isAuthorized(_ request: Request) -> Bool {
        request.headers[.authorization] == "Bearer \(state.configuration.apiKey)"
    }

    private func pause(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(for: .milliseconds(Int((seconds * 1000).rounded())))
    }

    /// Closes the connection before anything is written, so the client sees no answer at all.
    private func drop(_ context: SimulatorRequestContext) async throws -> Response {
        try? await context.channel.close()
        throw ConnectionDropped()
    }

    static func faultResponse(status: Int, retryAfter: SimulatedFault.RetryAfter?) -> Response {
        let (message, code): (String, String) =
            switch status {
            case 400: ("invalid request", "invalid_request")
            case 401: ("missing or invalid API key", "unauthorized")
            case 402: ("out of credits", "payment_required")
            case 403: ("forbidden", "forbidden")
            case 404: ("not found", "not_found")
            case 422: ("unprocessable request", "unprocessable")
            case 429: ("too many requests", "rate_limited")
            case 503: ("service unavailable", "unavailable")
            default: ("simulated server error", "server_error")
            }
        var response = error(status, message, code: code)
        switch retryAfter {
        case .seconds(let seconds)?:
            response.headers[.retryAfter] = String(seconds)
        case .date(let seconds)?:
            response.headers[.retryAfter] = httpDate(Date().addingTimeInterval(Double(seconds)))
        case nil:
            break
        }
        return response
    }

    /// IMF-fixdate (RFC 9110 §5.6.7), e.g. `Tue, 24 Nov 2026 16:00:02 GMT`.
    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }

    static func error(_ status: Int, _ message: String, code: String) -> Response {
        json(status, ["error": message, "code": code])
    }

    static func json(_ status: Int, _ object: [String: Any]) -> Response {
        raw(status, SimulatorJSON.text(object))
    }

    static func raw(_ status: Int, _ text: String) -> Response {
        Response(
            status: .init(code: status),
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}
