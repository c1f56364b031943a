import Foundation
import GRDB
import Testing

@testable import CampaignKit

@Suite("ContactPressure")
struct ContactPressureTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("a cap of N per period: the N+1th call waits until the oldest of the last N leaves the period")
    func cap() {
        let pressure = ContactPressure(cap: .init(calls: 2, period: .seconds(86_400)))
        #expect(pressure.until(starts: [], now: now) == nil)
        #expect(pressure.until(starts: [now - 3600], now: now) == nil)
        #expect(pressure.until(starts: [now - 3600, now - 7200], now: now) == now - 7200 + 86_400)
        // Order does not matter; starts older than the period do not count.
        #expect(pressure.until(starts: [now - 90_000, now - 3600], now: now) == nil)
        #expect(pressure.until(starts: [now - 60, now - 7200, now - 3600], now: now) == now - 3600 + 86_400)
    }

    @Test("a minimum gap counts from the latest start, whatever the campaign")
    func gap() {
        let pressure = ContactPressure(minGap: .seconds(4 * 3600))
        #expect(pressure.until(starts: [now - 3600, now - 20_000], now: now) == now + 3 * 3600)
        #expect(pressure.until(starts: [now - 5 * 3600], now: now) == nil)
    }

    @Test("with both, the later wait wins")
    func both() {
        let pressure = ContactPressure(cap: .init(calls: 1, period: .seconds(86_400)), minGap: .seconds(3600))
        #expect(pressure.until(starts: [now - 7200], now: now) == now - 7200 + 86_400)
        #expect(pressure.lookBack == .seconds(86_400))
    }

    @Test(
        "N/PERIOD is read with bounds", arguments: [("2/24h", 2, 86_400), ("5/7d", 5, 604_800), (" 1/30m ", 1, 1800)])
    func parses(text: String, calls: Int, seconds: Int64) throws {
        #expect(try ContactPressure.Cap(parsing: text) == .init(calls: calls, period: .seconds(seconds)))
    }

    @Test(
        "bad caps are refused",
        arguments: ["2", "/24h", "x/24h", "2/soon", "0/24h", "1001/24h", "2/30s", "2/100d", "2/24h/1"])
    func refuses(text: String) {
        #expect(throws: ContactPressureError.self) { try ContactPressure.Cap(parsing: text) }
    }
}

/// The cap in the claim's transaction, over two campaigns of one real database.
@Suite("ContactPressure in the claim")
struct ContactPressureClaimTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("a number called in another campaign waits for the cap there, and is claimed once it allows")
    func acrossCampaigns() async throws {
        let first = try await TestCampaign(contacts: 2)
        let second = try await first.importAnother(named: "second", contacts: 2)
        let store = first.store
        // Campaign one calls both numbers (placed, then ended), an hour ago.
        let claim = try await store.claimDueJobs(campaign: first.campaign, now: now - 3600, limit: 2)
        for started in claim.started {
            _ = try await store.recordPlaced(
                started.intent, interactionID: "c\(started.job.id)", rawJSON: nil, now: now - 3600)
        }
        let pressure = ContactPressure(cap: .init(calls: 1, period: .seconds(86_400)))
        try store.indexNumbersAcrossCampaigns()
        let held = try await store.claimDueJobs(campaign: second, now: now, limit: 2, pressure: pressure)
        #expect(held.started.isEmpty)
        #expect(held.postponed.map(\.reason) == [.contactPressure, .contactPressure])
        #expect(held.postponed.map(\.until) == [now - 3600 + 86_400, now - 3600 + 86_400])
        #expect(held.nextDue == now - 3600 + 86_400)
        let later = try await store.claimDueJobs(
            campaign: second, now: now - 3600 + 86_400, limit: 2, pressure: pressure)
        #expect(later.started.count == 2)
    }

    @Test("an attempt refused before a call existed does not count; one being placed does")
    func whatCounts() async throws {
        let first = try await TestCampaign(contacts: 2)
        let second = try await first.importAnother(named: "second", contacts: 2)
        let store = first.store
        let claim = try await store.claimDueJobs(campaign: first.campaign, now: now - 60, limit: 2)
        // The first number's attempt was refused (429): no call. The second's is still being placed.
        _ = try await store.recordOne(
            AttemptResult(
                .notPlaced(claim.started[0].intent, httpStatus: 429, reason: "slow down", retryAt: nil), at: now - 60))
        let pressure = ContactPressure(minGap: .seconds(3600))
        let next = try await store.claimDueJobs(campaign: second, now: now, limit: 2, pressure: pressure)
        #expect(next.started.map(\.job.phone) == [first.phones[0]])
        #expect(next.postponed.map(\.job.phone) == [first.phones[1]])
    }

    @Test("an opt-out heard on a call lists the number and suppresses its queued jobs everywhere, in the end's commit")
    func optOutSuppressesEverywhere() async throws {
        let first = try await TestCampaign(contacts: 2)
        let second = try await first.importAnother(named: "second", contacts: 2)
        let store = first.store
        let claim = try await store.claimDueJobs(campaign: first.campaign, now: now, limit: 1)
        let started = try #require(claim.started.first)
        #expect(
            try await store.recordPlaced(started.intent, interactionID: "call-9", rawJSON: nil, now: now) == .applied)
        let end = CallEnd(
            jobID: started.job.id, attemptID: started.intent.attemptID, attemptNumber: 1,
            result: EndedCall(outcome: OutcomeRules.optOut, summary: "stop calling", recordingURL: nil, rawJSON: nil),
            disposition: .completed, at: now + 60)
        #expect(try await store.record([.ended(end)]) == [.applied])
        #expect(try store.suppressedNumbers().map(\.phoneE164) == [started.job.phone])
        #expect(try store.suppressedNumbers().first?.source == "opt-out heard on call call-9 of campaign guests")
        let statuses = try await store.queue.read { db in
            try Row.fetchAll(
                db, sql: "SELECT campaign_id, phone_e164, status FROM jobs ORDER BY campaign_id, id"
            ).map { "\($0["campaign_id"] as Int64) \($0["phone_e164"] as String) \($0["status"] as String)" }
        }
        #expect(
            statuses == [
                "\(first.campaign.id) \(first.phones[0]) completed", "\(first.campaign.id) \(first.phones[1]) queued",
                "\(second.id) \(first.phones[0]) suppressed", "\(second.id) \(first.phones[1]) queued",
            ])
        #expect(
            try await store.claimDueJobs(campaign: second, now: now + 61, limit: 2).started.map(\.job.phone) == [
                first.phones[1]
            ])
    }
}
