import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import CampaignKit

/// Failures the simulator cannot produce on loopback (DNS, connect timeouts, resets), classified
/// straight from the error values AsyncHTTPClient and NIO throw.
@Suite struct PokuClientClassificationTests {
    @Test(
        arguments: [
            (HTTPClientError.connectTimeout as any Error & Sendable, "notSent"),
            (HTTPClientError.getConnectionFromPoolTimeout, "notSent"),
            (ChannelError.connectTimeout(.seconds(10)), "notSent"),
            (IOError(errnoCode: ECONNREFUSED, reason: "connect"), "notSent"),
            (IOError(errnoCode: EHOSTUNREACH, reason: "connect"), "notSent"),
            (SocketAddressError.unknown(host: "api.example.invalid", port: 443), "notSent"),
            (IOError(errnoCode: ECONNRESET, reason: "read"), "outcomeUnknown"),
            (HTTPClientError.remoteConnectionClosed, "outcomeUnknown"),
            (HTTPClientError.readTimeout, "outcomeUnknown"),
            (HTTPClientError.deadlineExceeded, "outcomeUnknown"),
            (HTTPClientError.cancelled, "outcomeUnknown"),
            (ChannelError.eof, "outcomeUnknown"),
            (CancellationError(), "outcomeUnknown"),
        ] as [(any Error & Sendable, String)])
    func transportErrors(error: any Error & Sendable, expected: String) {
        #expect(ErrorShape(PokuClient.classify(transportError: error)).kind == expected)
    }

    /// Status codes with no request behind them, straight from the table in docs/poku-api.md.
    @Test(
        arguments: [
            (400, PokuClient.Endpoint.placeCall, nil, ErrorShape("rejected", 400)),
            (422, .placeCall, nil, ErrorShape("rejected", 422)),
            (401, .status("i"), nil, ErrorShape("unauthorized", 401)),
            (403, .placeCall, nil, ErrorShape("unauthorized", 403)),
            (402, .placeCall, nil, ErrorShape("outOfCredits", 402)),
            (404, .status("i"), nil, ErrorShape("interactionNotFound", 404)),
            (429, .placeCall, "7", ErrorShape("rateLimited", 429, retryAfter: .seconds(7))),
            (429, .placeCall, "Tue, 24 Nov 2026 16:00:09 GMT", ErrorShape("rateLimited", 429, retryAfter: .seconds(9))),
            (503, .placeCall, "1", ErrorShape("rateLimited", 503, retryAfter: .seconds(1))),
            (503, .placeCall, nil, ErrorShape("outcomeUnknown", 503)),
            (500, .placeCall, nil, ErrorShape("outcomeUnknown", 500)),
            (502, .placeCall, nil, ErrorShape("outcomeUnknown", 502)),
            (504, .placeCall, nil, ErrorShape("outcomeUnknown", 504)),
            (302, .placeCall, nil, ErrorShape("outcomeUnknown", 302)),
        ] as [(Int, PokuClient.Endpoint, String?, ErrorShape)])
    func statuses(status: Int, endpoint: PokuClient.Endpoint, retryAfter: String?, expected: ErrorShape) {
        var headers = HTTPHeaders()
        if let retryAfter { headers.add(name: "Retry-After", value: retryAfter) }
        let answer = PokuClient.Answer(status: status, headers: headers, body: Data("<html>oops</html>".utf8))
        let now = Date(timeIntervalSince1970: 1_795_536_000)  // 2026-11-24 16:00:00 UTC
        #expect(ErrorShape(PokuClient.classify(answer, endpoint: endpoint, now: now)) == expected)
    }

    @Test func errorMessagesComeFromJSONOrText() {
        let json = PokuClient.Answer(status: 400, headers: [:], body: Data(#"{"error":"bad to","code":"x"}"#.utf8))
        #expect(PokuClient.errorMessage(json) == "bad to (x)")
        let text = PokuClient.Answer(status: 502, headers: [:], body: Data("Bad Gateway".utf8))
        #expect(PokuClient.errorMessage(text) == "HTTP 502: Bad Gateway")
        #expect(PokuClient.errorMessage(.init(status: 500, headers: [:], body: Data())) == "HTTP 500")
    }

    @Test func completionEventFormsDecodeAlike() throws {
        let wrapped: [String: Any] = [
            "eventType": "call.conversation.ended",
            "payload": ["interactionId": "i", "summary": "s", "recordingUrl": "r", "transcript": "t"],
        ]
        let bare: [String: Any] = ["interactionId": "i", "summary": "s", "call": ["recordingUrl": "r"], "x": 1]
        for event in [wrapped, bare] {
            let completion = PokuClient.completion(fromEvent: event)
            #expect(completion.summary == "s")
            #expect(completion.recordingURL == "r")
        }
        #expect(PokuClient.completion(fromEvent: wrapped).rawJSON.contains("\"transcript\":\"t\""))
        #expect(PokuClient.completion(fromEvent: bare).rawJSON.contains("\"x\":1"))
    }
}
