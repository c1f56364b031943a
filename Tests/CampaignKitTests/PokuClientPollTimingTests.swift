import Foundation
import Synchronization
import Testing

@testable import CampaignKit

/// Polling keeps to its interval against a server that writes an answer's head and body in two sends
/// with Nagle's algorithm on (Python's `http.server` does). Before `QuickAckHandler`, each poll on a
/// reused connection waited about 40 ms for our delayed ACK to release the body.
@Suite struct PokuClientPollTimingTests {
    static let interval = Duration.milliseconds(20)
    static let jitter = 0.2

    @Test("polls of one call keep to the poll interval against a head-then-body server")
    func pollsKeepTheirInterval() async throws {
        // The same call followed at the same time against a server that writes each answer in one send, which
        // no delayed ACK can stall: both see the same load (other tests run in parallel in this process, and
        // a starved thread pool wakes a poll late by tens of ms), so the difference is the stall alone.
        async let split = Self.pollGaps(splitHeadAndBody: true)
        async let whole = Self.pollGaps(splitHeadAndBody: false)
        var (splitGaps, wholeGaps) = try await (split, whole)
        // A delayed ACK makes every poll on the connection late by at least 40 ms (Linux's shortest delayed-ACK
        // timeout): it raises the floor of the gaps, where a starved thread pool only adds random delays (a CI
        // check saw medians of 204 and 230 ms for a 20 ms interval). So the shortest gaps are compared, with half
        // the stall as the margin. A machine loaded enough to starve one side more than the other by 20 ms (seen
        // once: shortest gaps 194 and 141 ms) gets up to four more tries; the stall fails every one of them.
        let stall = 20.0
        for _ in 0..<4 where (splitGaps.min() ?? .infinity) > (wholeGaps.min() ?? 0) + stall {
            async let split = Self.pollGaps(splitHeadAndBody: true)
            async let whole = Self.pollGaps(splitHeadAndBody: false)
            (splitGaps, wholeGaps) = try await (split, whole)
        }
        let gaps = "two sends: \(splitGaps.map { Int($0.rounded()) }), one send: \(wholeGaps.map { Int($0.rounded()) })"
        #expect(
            (splitGaps.min() ?? .infinity) <= (wholeGaps.min() ?? 0) + stall, "gaps between polls (ms), \(gaps)")
    }

    /// Follows one call of 20 polls with the real client and the real clock; returns the gaps between polls in ms.
    static func pollGaps(splitHeadAndBody: Bool) async throws -> [Double] {
        let polls = 20
        let statusCount = Mutex(0)
        let server = try await CannedHTTPServer.start(splitHeadAndBody: splitHeadAndBody) { line in
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
            return []
        }
        #expect(counts.failed == 1, "one attempt, ended without a result: \(counts)")
        let times = server.requests.filter { $0.line.hasPrefix("GET ") }.map(\.at)
        #expect(times.count == polls)
        return zip(times, times.dropFirst()).map { ($1 - $0) / .milliseconds(1) }
    }
}
