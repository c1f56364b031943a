import Foundation
import Synchronization
import Testing

@testable import CampaignKit

@Suite("Dispatcher")
struct DispatcherTests {
    let start = Date(utc: "2026-06-01T12:00:00.000Z")

    /// Fast settings: the defaults with no jitter and short pauses.
    func settings(_ maxParallel: Int = 1, _ change: (inout DispatchConfiguration) -> Void = { _ in })
        -> DispatchConfiguration
    {
        var configuration = DispatchConfiguration(
            maxParallel: maxParallel, pollInterval: .seconds(5), pollJitter: 0.2,
            defaultTimeZone: TimeZone(identifier: "UTC")!)
        change(&configuration)
        return configuration
    }

    @Test("in flight reaches maxParallel and never exceeds it; every job completes")
    func boundedPool() async throws {
        let campaign = try await TestCampaign(contacts: 12)
        let clock = TestClock(start)
        let client = FakeCallingClient(clock: clock)
        let result = try await campaign.dispatcher(client: client, clock: clock, configuration: settings(4)).run()
        #expect(await client.maxInFlight == 4)
        #expect(await client.posts.count == 12)
        guard case .finished(let counts) = result else { Issue.record("not finished: \(result)"); return }
        #expect(counts.completed == 12)
        #expect(try campaign.jobs().allSatisfy { $0.outcome == "answered" && $0.attemptStates == ["ended"] })
    }

    @Test("no answer is retried after exactly the backoff, and fails when attempts are used up")
    func retryTiming() async throws {
        let campaign = try await TestCampaign(contacts: 1)
        let phone = campaign.phones[0]
        let clock = TestClock(start)
        let client = FakeCallingClient(
            clock: clock, scripts: [phone: [.noResult(polls: 1), .answer("No answer.", polls: 1), .noResult(polls: 1)]])
        let result = try await campaign.dispatcher(client: client, clock: clock, configuration: settings()).run()
        let times = await client.postTimes(to: phone)
        // One 5s poll, then 30m; one 5s poll, then 60m (exponential; random 0.5 means no jitter).
        #expect(times == [start, start + 5 + 1800, start + 5 + 1800 + 5 + 3600])
        let job = try campaign.job(phone)
        #expect(job.status == "failed")
        #expect(job.attempts == 3)
        #expect(job.outcome == "no_result")
        #expect(job.attemptStates == ["ended", "ended", "ended"])
        if case .finished(let counts) = result { #expect(counts.failed == 1) } else { Issue.record("\(result)") }
    }

    @Test("with noWait a run returns when only a retry is left, and the next run places it")
    func noWaitReturnsRetryTime() async throws {
        let campaign = try await TestCampaign(contacts: 1)
        let phone = campaign.phones[0]
        let clock = TestClock(start)
        let client = FakeCallingClient(clock: clock, scripts: [phone: [.answer("Line busy.", polls: 1)]])
        let configuration = settings { $0.noWait = true }
        let first = try await campaign.dispatcher(client: client, clock: clock, configuration: configuration).run()
        #expect(first == .waiting(until: start + 5 + 1800, JobCounts(byStatus: [.queued: 1])))
        #expect(try campaign.job(phone).outcome == "busy")
        clock.advance(to: start + 5 + 1800)
        let second = try await campaign.dispatcher(client: client, clock: clock, configuration: configuration).run()
        #expect(second == .finished(JobCounts(byStatus: [.completed: 1])))
        #expect(await client.posts.count == 2)
    }

    @Test("a job outside its calling window waits for it, across a daylight-saving change")
    func windowWait() async throws {
        // 2026-03-08 is the spring-forward day in New York: 09:00 EDT is 13:00 UTC (the day before, 14:00).
        let campaign = try await TestCampaign(contacts: 1, timezone: "America/New_York")
        let clock = TestClock(Date(utc: "2026-03-08T05:00:00.000Z"))
        let client = FakeCallingClient(clock: clock)
        let events = EventLog()
        let configuration = settings { $0.window = CallingWindow(startMinute: 9 * 60, endMinute: 20 * 60) }
        _ = try await campaign.dispatcher(client: client, clock: clock, configuration: configuration, events: events)
            .run()
        #expect(await client.posts.map(\.at) == [Date(utc: "2026-03-08T13:00:00.000Z")])
        #expect(events.all.contains(.sleeping(until: Date(utc: "2026-03-08T13:00:00.000Z"))))
    }

    @Test("429 pauses every slot for Retry-After without using up an attempt")
    func rateLimitPausesAll() async throws {
        let campaign = try await TestCampaign(contacts: 5)
        let first = campaign.phones[0]
        let clock = TestClock(start)
        let client = FakeCallingClient(
            clock: clock, scripts: [first: [.fail(.rateLimited(status: 429, retryAfter: .seconds(40)))]])
        _ = try await campaign.dispatcher(client: client, clock: clock, configuration: settings(3)).run()
        let posts = await client.posts
        #expect(posts.count == 6)
        // Three slots fill at once; once the 429 is in, no slot starts a call for 40s, though two free up
        // after their polls. (Virtual time makes the first three POSTs' own instants unordered.)
        #expect(Set(posts.prefix(3).map(\.request.to)) == Set(campaign.phones.prefix(3)))
        #expect(posts.dropFirst(3).allSatisfy { $0.at >= start + 40 })
        #expect(await client.postTimes(to: first).count == 2)
        let job = try campaign.job(first)
        #expect(job.status == "completed")
        #expect(job.attempts == 1)
        #expect(job.attemptStates == ["not_placed", "ended"])
    }

    @Test("consecutive connection failures open the breaker; a probe after the cool-down closes it")
    func circuitBreaker() async throws {
        let campaign = try await TestCampaign(contacts: 1)
        let phone = campaign.phones[0]
        let clock = TestClock(start)
        let refused = FakeCallingClient.Step.fail(.notSent(reason: "connection refused"))
        let client = FakeCallingClient(clock: clock, scripts: [phone: [refused, refused, refused]])
        let events = EventLog()
        let configuration = settings {
            $0.breakerThreshold = 3
            $0.breakerCooldown = .seconds(120)
            $0.connectBackoff = .seconds(2)
        }
        _ = try await campaign.dispatcher(client: client, clock: clock, configuration: configuration, events: events)
            .run()
        let times = await client.postTimes(to: phone)
        // Back-off 2s then 4s; the third failure opens the breaker for 120s.
        #expect(times == [start, start + 2, start + 6, start + 126])
        #expect(events.all.contains(.circuitOpened(until: start + 126, failures: 3)))
        #expect(events.all.contains(.circuitClosed))
        let job = try campaign.job(phone)
        #expect(job.status == "completed")
        #expect(job.attempts == 1)
    }

    @Test(
        "401 and 402 stop the run and leave every job as it was",
        arguments: [
            CallingError.unauthorized(status: 401, message: "bad key"), .outOfCredits(message: "no credits"),
        ])
    func accountRefusalStops(error: CallingError) async throws {
        let campaign = try await TestCampaign(contacts: 3)
        let clock = TestClock(start)
        let client = FakeCallingClient(clock: clock, scripts: [campaign.phones[0]: [.fail(error)]])
        await #expect(throws: DispatchError.self) {
            try await campaign.dispatcher(client: client, clock: clock, configuration: settings()).run()
        }
        #expect(await client.posts.count == 1)
        #expect(
            try campaign.jobs().allSatisfy { $0.status == "queued" && $0.attempts == 0 && $0.attemptStates.isEmpty })
    }

    @Test("an unknown POST result makes the job unknown, and no run redials it")
    func outcomeUnknownNeverRedialled() async throws {
        let campaign = try await TestCampaign(contacts: 1)
        let phone = campaign.phones[0]
        let clock = TestClock(start)
        let client = FakeCallingClient(
            clock: clock, scripts: [phone: [.fail(.outcomeUnknown(status: 502, reason: "bad gateway"))]])
        for _ in 0..<2 {
            let result = try await campaign.dispatcher(client: client, clock: clock, configuration: settings()).run()
            #expect(result == .finished(JobCounts(byStatus: [.unknown: 1])))
        }
        #expect(await client.posts.count == 1)
        let job = try campaign.job(phone)
        #expect(job.status == "unknown")
        #expect(job.attemptStates == ["unknown"])
        #expect(job.reviewReason != nil)
    }

    @Test("recovery: dialing becomes unknown; in_progress is followed by interactionId without a new POST")
    func recoveryAtStart() async throws {
        let campaign = try await TestCampaign(contacts: 3)
        let (crashed, ringing) = (campaign.phones[0], campaign.phones[1])
        let store = campaign.store
        // An earlier run died mid-POST for the first job, and while following the second.
        _ = try await store.recordAttemptIntent(jobID: try campaign.job(crashed).id, now: start)
        let intent = try await store.recordAttemptIntent(jobID: try campaign.job(ringing).id, now: start)
        #expect(try await store.recordPlaced(intent, interactionID: "earlier-1", rawJSON: nil, now: start) == .applied)
        let clock = TestClock(start + 60)
        let client = FakeCallingClient(clock: clock)
        await client.preload(interactionID: "earlier-1", phone: ringing, summary: "Confirmed for Friday.")
        let result = try await campaign.dispatcher(client: client, clock: clock, configuration: settings(2)).run()
        #expect(result == .finished(JobCounts(byStatus: [.unknown: 1, .completed: 2])))
        #expect(await client.posts.map(\.request.to) == [campaign.phones[2]])
        #expect(await client.statusRequests.contains("earlier-1"))
        #expect(try campaign.job(crashed).status == "unknown")
        #expect(try campaign.job(crashed).attemptStates == ["unknown"])
        #expect(try campaign.job(ringing).status == "completed")
        #expect(try campaign.job(ringing).attempts == 1)
    }

    @Test("a 404 while following keeps the job for review instead of redialling")
    func interactionNotFound() async throws {
        let campaign = try await TestCampaign(contacts: 1)
        let phone = campaign.phones[0]
        let clock = TestClock(start)
        let client = FakeCallingClient(
            clock: clock, scripts: [phone: [.statusFails(.interactionNotFound("gone"))]])
        _ = try await campaign.dispatcher(client: client, clock: clock, configuration: settings()).run()
        let job = try campaign.job(phone)
        #expect(job.status == "unknown")
        #expect(job.reviewReason?.contains("call-1") == true)
        #expect(await client.posts.count == 1)
    }

    @Test("a 400 fails the job with the API's message; the others go on")
    func rejected() async throws {
        let campaign = try await TestCampaign(contacts: 2)
        let clock = TestClock(start)
        let client = FakeCallingClient(
            clock: clock, scripts: [campaign.phones[0]: [.fail(.rejected(status: 422, message: "bad language"))]])
        let result = try await campaign.dispatcher(client: client, clock: clock, configuration: settings(2)).run()
        #expect(result == .finished(JobCounts(byStatus: [.failed: 1, .completed: 1])))
        #expect(try campaign.job(campaign.phones[0]).attemptStates == ["rejected"])
    }

    @Test("waitForCallEnd mode labels the POST's answer without polling")
    func waitForCallEnd() async throws {
        let campaign = try await TestCampaign(contacts: 2)
        let clock = TestClock(start)
        let client = FakeCallingClient(
            clock: clock, scripts: [campaign.phones[0]: [.answer("Reached voicemail, left a message.")]])
        _ = try await campaign.dispatcher(
            client: client, clock: clock, configuration: settings(2) { $0.waitForCallEnd = true }
        ).run()
        #expect(await client.statusRequests.isEmpty)
        #expect(await client.posts.allSatisfy { $0.request.waitForCallEnd == true })
        #expect(try campaign.job(campaign.phones[0]).outcome == "voicemail")
        #expect(try campaign.job(campaign.phones[1]).status == "completed")
    }

    @Test("a stop asked for before the run places nothing and leaves everything resumable")
    func stopBeforeStart() async throws {
        let campaign = try await TestCampaign(contacts: 3)
        let clock = TestClock(start)
        let client = FakeCallingClient(clock: clock)
        let dispatcher = campaign.dispatcher(client: client, clock: clock, configuration: settings(2))
        dispatcher.requestStop()
        let result = try await dispatcher.run()
        #expect(result == .stopped(JobCounts(byStatus: [.queued: 3])))
        #expect(await client.posts.isEmpty)
    }

    @Test("a stop during the run places no new call and never leaves a job dialing")
    func stopDuringRun() async throws {
        let campaign = try await TestCampaign(contacts: 6)
        let clock = TestClock(start)
        let client = FakeCallingClient(clock: clock)
        let box = DispatcherBox()
        // Calls that end with their POST's answer: the test clock jumps to any deadline slept for, so a
        // followed call would race the grace period's timer; here the calls in flight end without sleeping.
        let stopping = Dispatcher(
            store: campaign.store, campaign: campaign.campaign, client: client,
            configuration: settings(2) { $0.waitForCallEnd = true }, clock: clock, random: { 0.5 },
            onEvent: { event in
                if case .placed = event { box.stop() }
            })
        box.dispatcher = stopping
        let result = try await stopping.run()
        guard case .stopped = result else { Issue.record("\(result)"); return }
        let posted = await client.posts.count
        #expect(posted <= 2)
        let jobs = try campaign.jobs()
        #expect(!jobs.contains { $0.status == "dialing" })
        #expect(jobs.filter { $0.status == "queued" }.count == 6 - posted)
        // The calls in flight ended within the grace period, and their ends were recorded before the run
        // returned.
        #expect(jobs.filter { $0.status == "completed" }.count == posted)
    }
}

extension DispatcherTests {
    @Test("after the grace period a ringing call is left in_progress; the next run follows it without a POST")
    func graceExpiresThenResume() async throws {
        let campaign = try await TestCampaign(contacts: 2)
        let (long, waiting) = (campaign.phones[0], campaign.phones[1])
        let clock = TestClock(start)
        let client = FakeCallingClient(clock: clock, scripts: [long: [.answer("Talked for ages.", polls: 100)]])
        let box = DispatcherBox()
        let configuration = settings(1) { $0.gracePeriod = .seconds(30) }
        let first = Dispatcher(
            store: campaign.store, campaign: campaign.campaign, client: client, configuration: configuration,
            clock: clock, random: { 0.5 },
            onEvent: { event in
                if case .placed = event { box.stop() }
            })
        box.dispatcher = first
        let result = try await first.run()
        #expect(result == .stopped(JobCounts(byStatus: [.inProgress: 1, .queued: 1])))
        #expect(try campaign.job(long).status == "in_progress")
        #expect(try campaign.job(waiting).attempts == 0)

        let second = try await campaign.dispatcher(client: client, clock: clock, configuration: configuration).run()
        #expect(second == .finished(JobCounts(byStatus: [.completed: 2])))
        #expect(await client.posts.map(\.request.to) == [long, waiting])
        #expect(try campaign.job(long).attempts == 1)
        #expect(try campaign.job(long).outcome == "answered")
    }

    @Test("429s without Retry-After back off exponentially; the attempt count is untouched")
    func rateLimitBackoff() async throws {
        let campaign = try await TestCampaign(contacts: 1)
        let phone = campaign.phones[0]
        let clock = TestClock(start)
        let limited = FakeCallingClient.Step.fail(.rateLimited(status: 429, retryAfter: nil))
        let client = FakeCallingClient(clock: clock, scripts: [phone: [limited, limited, limited]])
        let configuration = settings { $0.rateLimitPause = .seconds(10) }
        _ = try await campaign.dispatcher(client: client, clock: clock, configuration: configuration).run()
        #expect(await client.postTimes(to: phone) == [start, start + 10, start + 30, start + 70])
        #expect(try campaign.job(phone).attempts == 1)
        #expect(try campaign.job(phone).status == "completed")
    }

    @Test(
        "cancelling the run's task stops at once and leaves the ringing call to the next run",
        .timeLimit(.minutes(1)))
    func cancelled() async throws {
        let campaign = try await TestCampaign(contacts: 2)
        let clock = TestClock(start)
        let client = FakeCallingClient(
            clock: clock, scripts: [campaign.phones[0]: [.answer("Long call.", polls: 1_000_000)]])
        let dispatcher = campaign.dispatcher(client: client, clock: clock, configuration: settings(1))
        let task = Task { try await dispatcher.run() }
        while await client.statusRequests.count < 3 { await Task.yield() }
        task.cancel()
        let result = try await task.value
        #expect(result == .stopped(JobCounts(byStatus: [.inProgress: 1, .queued: 1])))
        #expect(await client.posts.count == 1)
    }

    @Test("--rate spaces call starts however many slots are free")
    func ratePacing() async throws {
        let campaign = try await TestCampaign(contacts: 4)
        let clock = TestClock(start)
        let client = FakeCallingClient(clock: clock)
        let configuration = settings(4) { $0.rate = RatePacer(callsPerMinute: 6) }
        _ = try await campaign.dispatcher(client: client, clock: clock, configuration: configuration).run()
        // The intents' instants: when the pool decided to start each call (the fake's own POST instants
        // shift with other tasks' virtual sleeps).
        let times = try campaign.jobs().compactMap { $0.lastAttemptAt.flatMap(Timestamp.date) }.sorted()
        #expect(times.count == 4)
        #expect(await client.posts.count == 4)
        for (earlier, later) in zip(times, times.dropFirst()) {
            #expect(later.timeIntervalSince(earlier) >= 10)
        }
    }

    @Test("progress never shows more calls in flight than maxParallel")
    func progressEvents() async throws {
        let campaign = try await TestCampaign(contacts: 8)
        let clock = TestClock(start)
        let client = FakeCallingClient(clock: clock)
        let events = EventLog()
        _ = try await campaign.dispatcher(client: client, clock: clock, configuration: settings(3), events: events)
            .run()
        let progress = events.all.compactMap { event -> DispatchProgress? in
            if case .progress(let progress) = event { return progress }
            return nil
        }
        #expect(progress.map(\.inFlight).max() == 3)
        #expect(progress.last?.counts.completed == 8)
        #expect(progress.last?.callsPerMinute != nil)
    }
}

/// Lets an event handler reach the dispatcher it belongs to.
final class DispatcherBox: @unchecked Sendable {
    var dispatcher: Dispatcher?
    func stop() { dispatcher?.requestStop() }
}

extension DispatcherTests {
    /// Runs a dispatcher whose first claim is held before it commits, does `meanwhile` while it is held,
    /// then lets it commit. Holding the database from another thread keeps the claim (a group commit)
    /// waiting; `isBusy` says it has been submitted.
    func holdingFirstClaim(
        _ campaign: TestCampaign, client: FakeCallingClient, clock: TestClock, configuration: DispatchConfiguration,
        meanwhile: @escaping @Sendable (Dispatcher) -> Void
    ) async throws -> RunResult {
        let release = DispatchSemaphore(value: 0)
        let held = DispatchSemaphore(value: 0)
        let once = Mutex(false)
        let store = campaign.store
        let dispatcher = Dispatcher(
            store: store, campaign: campaign.campaign, client: client, configuration: configuration, clock: clock,
            random: { 0.5 },
            onEvent: { event in
                // The first progress line comes after recovery and before the first claim.
                guard case .progress = event,
                    once.withLock({ seen in
                        let first = !seen
                        seen = true
                        return first
                    })
                else {
                    return
                }
                DispatchQueue.global().async {
                    try? store.write { _ in
                        held.signal()
                        release.wait()
                    }
                }
                held.wait()
            })
        let run = Task { try await dispatcher.run() }
        // A bound only for a broken build (the claim never comes); a loaded 2-core machine running the whole
        // suite in parallel has taken over 20 s to get here.
        let deadline = ContinuousClock.now + .seconds(180)
        while !store.committer.isBusy, ContinuousClock.now < deadline { await Task.yield() }
        #expect(store.committer.isBusy, "the first claim was never submitted")
        meanwhile(dispatcher)
        release.signal()
        return try await run.value
    }

    @Test("a stop asked for while a claim commits places none of its calls and leaves the jobs queued")
    func stopDuringClaim() async throws {
        let campaign = try await TestCampaign(contacts: 4)
        let clock = TestClock(start)
        let client = FakeCallingClient(clock: clock)
        let before = try campaign.jobs()
        let result = try await holdingFirstClaim(
            campaign, client: client, clock: clock, configuration: settings(4), meanwhile: { $0.requestStop() })
        #expect(result == .stopped(JobCounts(byStatus: [.queued: 4])))
        #expect(await client.posts.isEmpty)
        #expect(try campaign.jobs() == before)
    }
}
