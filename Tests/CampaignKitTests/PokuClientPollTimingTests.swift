import Foundation
import Synchronization
import Testing

@testable import CampaignKit

/// Polling keeps to its interval against a server that writes an answer's head and body in two sends
/// with Nagle's algorithm on (Python's `http.server` does). Before `QuickAckHandler`, each poll on a
/// reused connection waited about 40 ms for our delayed ACK to release the body.
@Suite struct PokuClientPollTimingTests {
    @Test("polls of one call keep to the poll interval against a head-then-body server")
    func pollsKeepTheirInterval() async throws {
        let polls = 20
        let statusCount = Mutex(0)
        let server = try await CannedHTTPServer.start(splitHeadAndBody: true) { line in
            if line.hasPrefix("POST ") {
                return CannedHTTPServer.answer("200 OK", body: #"{"interactionId":"call-1"}"#)
            }
            let seen = statusCount.withLock {
                $0 += 1
                return $0
            }
            let state = seen < polls ? "pending" : "ended"
            return CannedHTTPServer.answer(
                "200 OK",
                body: #"{"interactionId":"call-1","createdAt":"2026-06-01T12:00:00.000Z","status":"\#(state)"}"#)
        }
        let client = PokuClient(configuration: .init(baseURL: server.baseURL), apiKey: "timing-test-key")
        let campaign = try await TestCampaign(contacts: 1)
        let interval = Duration.milliseconds(20)
        let jitter = 0.2
        var configuration = DispatchConfiguration(
            maxParallel: 1, pollInterval: interval, pollJitter: jitter, defaultTimeZone: TimeZone(identifier: "UTC")!)
        configuration.retry.maxAttempts = 1
        // The real clock: the stall is in real time. The jitter draws are spread over their whole range.
        let draws = Mutex(0)
        let random: @Sendable () -> Double = {
            draws.withLock { count in
                count += 1
                return Double(count % 10) / 10
            }
        }
        let dispatcher = Dispatcher(
            store: campaign.store, campaign: campaign.campaign, client: client, configuration: configuration,
            random: random)
        let result = try await dispatcher.run()
        await client.shutdown()
        await server.shutdown()

        guard case .finished(let counts) = result else {
            Issue.record("not finished: \(result)")
            return
        }
        #expect(counts.failed == 1, "one attempt, ended without a result: \(counts)")
        let times = server.requests.filter { $0.line.hasPrefix("GET ") }.map(\.at)
        #expect(times.count == polls)
        let gaps = zip(times, times.dropFirst()).map { ($1 - $0) / .milliseconds(1) }
        // The longest interval jitter allows, plus a few ms for the request. A delayed ACK (at least 40 ms)
        // makes every poll on the connection late; a machine busy with other tests (they run in parallel,
        // beside builds) has been seen to hold up several in a row, never half of them.
        let limit = interval / .milliseconds(1) * (1 + jitter) + 10
        let late = gaps.filter { $0 > limit }
        #expect(
            late.count * 2 <= gaps.count, "gaps between polls (ms): \(gaps.map { Int($0.rounded()) }), limit \(limit)")
    }
}
