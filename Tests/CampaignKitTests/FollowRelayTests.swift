import Foundation
import Testing

@testable import CampaignKit

/// The follows' relay on its own: reports come through `next()` in order, a cancelled follow reports, and
/// `close()` releases a waiting `next()`. No test waits on a clock.
@Suite("FollowRelay")
struct FollowRelayTests {
    static let call = PoolStateTests.call(1, at: Date(timeIntervalSince1970: 1_800_000_000))

    @Test("each follow's report comes through next(), also when it came before next() was asked")
    func reportsComeThrough() async {
        let relay = FollowRelay()
        let (gate, open) = AsyncStream<Void>.makeStream()
        relay.start { .needsReview(Self.call, httpStatus: 404, reason: "first") }
        // The first report is queued before anyone asks; the second comes while next() waits.
        guard case .needsReview(_, _, let first) = await relay.next() else {
            Issue.record("expected the first follow's report")
            return
        }
        #expect(first == "first")
        relay.start {
            for await _ in gate { break }
            return .abandoned
        }
        async let second = relay.next()
        open.yield()
        guard case .abandoned = await second else {
            Issue.record("expected the second follow's report")
            return
        }
    }

    @Test("cancelAll cancels the follows running and those started afterwards; each still reports")
    func cancelAllCancelsFollows() async {
        let relay = FollowRelay()
        let follow: @Sendable () async -> PoolState.Event = {
            // Suspends until cancelled, as a follow sleeping between polls does.
            let (never, continuation) = AsyncStream<Void>.makeStream()
            for await _ in never {}
            withExtendedLifetime(continuation) {}
            return Task.isCancelled ? .abandoned : .timer(.distantPast)
        }
        relay.start(follow)
        relay.cancelAll()
        relay.start(follow)
        for _ in 0..<2 {
            guard case .abandoned = await relay.next() else {
                Issue.record("a cancelled follow must report .abandoned")
                return
            }
        }
    }

    @Test("close releases a waiting next() with an event that asks nothing")
    func closeReleasesTheWaiter() async {
        let relay = FollowRelay()
        async let waiting = relay.next()
        relay.close()
        guard case .timer(let at) = await waiting else {
            Issue.record("expected .timer(.distantPast) after close")
            return
        }
        #expect(at == .distantPast)
    }
}

@Suite("PokuClient connections")
struct PokuClientConnectionsTests {
    @Test("polling keeps at most 256 connections; waitForCallEnd one per slot")
    func connectionsPerMode() {
        typealias Configuration = PokuClient.Configuration
        #expect(Configuration.connections(maxParallel: 5, waitForCallEnd: false) == 64)
        #expect(Configuration.connections(maxParallel: 200, waitForCallEnd: false) == 208)
        #expect(Configuration.connections(maxParallel: 5000, waitForCallEnd: false) == 256)
        #expect(Configuration.connections(maxParallel: 5, waitForCallEnd: true) == 64)
        #expect(Configuration.connections(maxParallel: 5000, waitForCallEnd: true) == 5008)
    }
}
