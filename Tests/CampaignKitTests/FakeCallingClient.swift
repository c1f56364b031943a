import Foundation
import GRDB
import Synchronization

@testable import CampaignKit

/// The one test double at the calling seam: scripted per phone number, records every request, and
/// tracks how many calls are in flight (placed and not yet reported ended).
actor FakeCallingClient: CallingClient {
    nonisolated var api: String { "fake" }
    /// What one POST to a number does.
    enum Step: Sendable {
        /// Placed; the status is `pending` for `polls - 1` polls, then `ended` with this summary.
        case answer(String, polls: Int = 2)
        /// Placed; ends without a completionEvent.
        case noResult(polls: Int = 2)
        /// The POST fails.
        case fail(CallingError)
        /// Placed; every status request fails.
        case statusFails(CallingError)
    }

    struct Post: Sendable {
        var request: CallRequest
        var at: Date
    }

    private struct Live {
        var phone: String
        var pollsLeft: Int
        var completion: CallCompletion?
        var statusError: CallingError?
    }

    private var scripts: [String: [Step]]
    private let clock: any DispatchClock
    private var live: [String: Live] = [:]
    private var counter = 0
    private(set) var posts: [Post] = []
    private(set) var statusRequests: [String] = []
    private(set) var inFlight = 0
    private(set) var maxInFlight = 0

    init(clock: any DispatchClock, scripts: [String: [Step]] = [:]) {
        self.clock = clock
        self.scripts = scripts
    }

    /// A call placed by an earlier run, known to the API by `interactionID`.
    func preload(interactionID: String, phone: String, summary: String, polls: Int = 1) {
        live[interactionID] = Live(
            phone: phone, pollsLeft: polls,
            completion: CallCompletion(summary: summary, recordingURL: nil, rawJSON: "{}"))
        inFlight += 1
        maxInFlight = max(maxInFlight, inFlight)
    }

    func placeCall(_ request: CallRequest) async throws(CallingError) -> PlacedCall {
        posts.append(Post(request: request, at: clock.now()))
        var steps = scripts[request.to] ?? []
        let step = steps.isEmpty ? .answer("They confirmed the reservation.") : steps.removeFirst()
        scripts[request.to] = steps
        counter += 1
        let id = "call-\(counter)"
        var call: Live
        switch step {
        case .fail(let error): throw error
        case .answer(let summary, let polls):
            call = Live(
                phone: request.to, pollsLeft: polls,
                completion: CallCompletion(summary: summary, recordingURL: "https://rec/\(id)", rawJSON: "{}"))
        case .noResult(let polls):
            call = Live(phone: request.to, pollsLeft: polls, completion: nil)
        case .statusFails(let error):
            call = Live(phone: request.to, pollsLeft: 1, completion: nil, statusError: error)
        }
        if request.waitForCallEnd == true {
            call.pollsLeft = 0
            return PlacedCall(interactionID: id, completion: call.completion, rawJSON: "{\"interactionId\":\"\(id)\"}")
        }
        inFlight += 1
        maxInFlight = max(maxInFlight, inFlight)
        live[id] = call
        return PlacedCall(interactionID: id, completion: nil, rawJSON: "{\"interactionId\":\"\(id)\"}")
    }

    func status(of interactionID: String) async throws(CallingError) -> CallStatusReport {
        statusRequests.append(interactionID)
        guard var call = live[interactionID] else { throw .interactionNotFound(interactionID) }
        if let error = call.statusError { throw error }
        call.pollsLeft -= 1
        if call.pollsLeft > 0 {
            live[interactionID] = call
            return CallStatusReport(state: .pending, rawJSON: "{\"status\":\"pending\"}")
        }
        live[interactionID] = nil
        inFlight -= 1
        return CallStatusReport(state: .ended(call.completion), rawJSON: "{\"status\":\"ended\"}")
    }

    func postTimes(to phone: String) -> [Date] { posts.filter { $0.request.to == phone }.map(\.at) }
}

/// Virtual time: a sleep moves the clock to its deadline and returns at once, so hours of retries and
/// windows pass in milliseconds and every instant is exact.
final class TestClock: DispatchClock {
    private let current: Mutex<Date>

    init(_ start: Date) { current = Mutex(start) }

    func now() -> Date { current.withLock { $0 } }

    /// Moves time forward, as between two runs.
    func advance(to date: Date) { current.withLock { $0 = max($0, date) } }

    func sleep(until deadline: Date) async throws {
        try Task.checkCancellation()
        current.withLock { $0 = max($0, deadline) }
        await Task.yield()
        try Task.checkCancellation()
    }
}

/// Collects events from any task.
final class EventLog: Sendable {
    private let events = Mutex<[DispatchEvent]>([])
    func append(_ event: DispatchEvent) { events.withLock { $0.append(event) } }
    var all: [DispatchEvent] { events.withLock { $0 } }
}

/// A real campaign database in a temporary directory, imported from a generated contacts file.
struct TestCampaign {
    let directory: URL
    let store: CampaignStore
    let campaign: CampaignRecord
    let phones: [String]

    /// UK drama numbers (+44 20 7946 0xxx): valid, and reserved so they ring nobody.
    static func phone(_ index: Int) -> String { "+4420794600" + String(format: "%02d", index) }

    init(contacts count: Int, timezone: String? = nil, suppressed: [Int] = []) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dispatch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let phones = (0..<count).map(Self.phone)
        var csv = "name,phone\n"
        for (index, phone) in phones.enumerated() { csv += "Guest \(index),\(phone)\n" }
        let contacts = directory.appendingPathComponent("guests.csv")
        try csv.write(to: contacts, atomically: true, encoding: .utf8)
        let prompt = directory.appendingPathComponent("prompt.txt")
        try "Call [name] about dinner.".write(to: prompt, atomically: true, encoding: .utf8)
        let dbPath = directory.appendingPathComponent("campaign.db").path
        store = try CampaignStore(path: dbPath)
        let report = try await ContactImporter(store: store).run(
            ImportRequest(
                contactsPath: contacts.path, promptPath: prompt.path, campaignName: "guests", region: "GB",
                defaults: CallOptions(timezone: timezone)))
        precondition(report.committed, "test import failed: \(report.problems)")
        campaign = try await store.resolveCampaign("guests")
        self.phones = phones
    }

    /// A second campaign in the same database, with the first `count` of the same numbers.
    func importAnother(named name: String, contacts count: Int) async throws -> CampaignRecord {
        var csv = "name,phone\n"
        for (index, phone) in phones.prefix(count).enumerated() { csv += "Guest \(index),\(phone)\n" }
        let contacts = directory.appendingPathComponent("\(name).csv")
        try csv.write(to: contacts, atomically: true, encoding: .utf8)
        let report = try await ContactImporter(store: store).run(
            ImportRequest(
                contactsPath: contacts.path, promptPath: directory.appendingPathComponent("prompt.txt").path,
                campaignName: name, region: "GB", defaults: CallOptions()))
        precondition(report.committed, "test import failed: \(report.problems)")
        return try await store.resolveCampaign(name)
    }

    func jobs() throws -> [JobSnapshot] { try store.jobSnapshots(campaign: campaign) }

    func job(_ phone: String) throws -> JobSnapshot { try jobs().first { $0.phone == phone }! }

    func dispatcher(
        client: FakeCallingClient, clock: TestClock, configuration: DispatchConfiguration,
        events: EventLog = EventLog(), random: @escaping @Sendable () -> Double = { 0.5 }
    ) -> Dispatcher {
        Dispatcher(
            store: store, campaign: campaign, client: client, configuration: configuration, clock: clock,
            random: random, onEvent: { events.append($0) })
    }
}

extension Date {
    /// `2026-03-08T05:00:00.000Z`-style literals for exact expectations.
    init(utc text: String) { self = Timestamp.date(text)! }
}

extension CampaignStore {
    /// Puts a number on the suppression list behind the importer's back, as another tool or an older
    /// version might, to prove the dispatcher checks the list itself.
    func addSuppressedForTest(_ phone: String, now: Date) throws {
        try write { db in
            try db.execute(
                sql: "INSERT INTO suppressed (phone_e164, source, added_at) VALUES (?, 'test', ?)",
                arguments: [phone, Timestamp.string(now)])
        }
    }
}
