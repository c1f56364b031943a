@testable import CampaignKit
import Foundation
import PokuSimulator
import Testing

/// The real client against the real simulator over loopback HTTP.
@Suite struct PokuClientTests {
    static let number = "+15550100001"

    @Test(arguments: [PokuSimulator.CompletionEventForm.wrapped, .bare])
    func asyncCallIsPendingThenEndsWithItsCompletion(form: PokuSimulator.CompletionEventForm) async throws {
        let configuration = PokuSimulator.Configuration(
            // Long enough never to end by itself while the test runs; the test ends it.
            callDuration: .fixed(.seconds(3600)), completionEventForm: form,
            script: FaultScript(outcomes: [Self.number: .answered])
        )
        try await withSimulator(configuration) { simulator, client in
            let placed = try await client.placeCall(callRequest(to: Self.number))
            #expect(placed.completion == nil)
            #expect(try await client.status(of: placed.interactionID).state == .pending)

            try await simulator.endCall(placed.interactionID)
            let report = try await client.status(of: placed.interactionID)
            guard case .ended(let completion?) = report.state else {
                Issue.record("expected an ended call with a completion, got \(report.state)")
                return
            }
            #expect(completion.summary?.contains("confirmed") == true)
            #expect(completion.recordingURL == "https://recordings.sim.poku.invalid/\(placed.interactionID).mp3")
            #expect(completion.rawJSON.contains(placed.interactionID))
            #expect(report.rawJSON.contains("\"status\":\"ended\""))
            #expect(report.rawJSON.contains("call.conversation.ended") == (form == .wrapped))
        }
    }

    @Test func waitForCallEndAnswersWithSummaryAndRecording() async throws {
        let configuration = PokuSimulator.Configuration(
            callDuration: .fixed(.milliseconds(50)), script: FaultScript(outcomes: [Self.number: .voicemail])
        )
        try await withSimulator(configuration) { simulator, client in
            let placed = try await client.placeCall(callRequest(to: Self.number, waitForCallEnd: true))
            #expect(placed.completion?.summary?.contains("voicemail") == true)
            #expect(placed.completion?.recordingURL?.hasSuffix("\(placed.interactionID).mp3") == true)
            let ledger = await simulator.ledger()
            #expect(ledger.entries.map(\.status) == [200])
            #expect(ledger.placedCalls(to: Self.number).count == 1)
        }
    }

    @Test(
        arguments: [
            (SimulatedOutcome.busy, "busy"), (.voicemail, "voicemail"), (.noAnswer, nil),
        ] as [(SimulatedOutcome, String?)])
    func outcomesReachTheClient(outcome: SimulatedOutcome, summaryMentions: String?) async throws {
        let configuration = PokuSimulator.Configuration(
            callDuration: .fixed(.milliseconds(30)), script: FaultScript(outcomes: [Self.number: outcome])
        )
        try await withSimulator(configuration) { simulator, client in
            let placed = try await client.placeCall(callRequest(to: Self.number))
            try await simulator.waitForCallEnd(placed.interactionID)
            let report = try await client.status(of: placed.interactionID)
            if let summaryMentions {
                guard case .ended(let completion?) = report.state else {
                    Issue.record("expected a completion, got \(report.state)")
                    return
                }
                #expect(completion.summary?.contains(summaryMentions) == true)
            } else {
                #expect(report.state == .ended(nil))
            }
        }
    }

    /// Every scripted fault, the error it must become, and whether the simulator placed a call.
    @Test(arguments: [
        ("429:retry-after=2", ErrorShape("rateLimited", 429, retryAfter: .seconds(2)), false),
        ("429", ErrorShape("rateLimited", 429), false),
        ("503:retry-after=1", ErrorShape("rateLimited", 503, retryAfter: .seconds(1)), false),
        ("503", ErrorShape("outcomeUnknown", 503), false),
        ("500", ErrorShape("outcomeUnknown", 500), false),
        ("502", ErrorShape("outcomeUnknown", 502), false),
        ("504", ErrorShape("outcomeUnknown", 504), false),
        ("drop-after-place", ErrorShape("outcomeUnknown"), true),
        ("drop-before-place", ErrorShape("outcomeUnknown"), false),
        ("malformed", ErrorShape("outcomeUnknown", 200), true),
        ("400", ErrorShape("rejected", 400), false),
        ("422", ErrorShape("rejected", 422), false),
        ("401", ErrorShape("unauthorized", 401), false),
        ("403", ErrorShape("unauthorized", 403), false),
        ("402", ErrorShape("outOfCredits", 402), false),
    ])
    func faultBecomesTheRightError(fault: String, expected: ErrorShape, placed: Bool) async throws {
        let configuration = PokuSimulator.Configuration(
            callDuration: .fixed(.milliseconds(50)), script: try FaultScript(faultTexts: [Self.number: [fault]])
        )
        try await withSimulator(configuration) { simulator, client in
            let error = await callingError { () async throws(CallingError) in
                try await client.placeCall(callRequest(to: Self.number))
            }
            #expect(error.map(ErrorShape.init) == expected)
            let ledger = await simulator.ledger()
            #expect(ledger.entries.count == 1)
            #expect(ledger.entries.first?.placed == placed)
            #expect(ledger.entries.first?.fault == fault)
            #expect(ledger.callsPlaced == (placed ? 1 : 0))
        }
    }

    @Test func scriptedFaultsApplyToSuccessivePostsOfOneNumber() async throws {
        let configuration = PokuSimulator.Configuration(
            callDuration: .fixed(.milliseconds(50)),
            script: try FaultScript(faultTexts: [Self.number: ["429:retry-after=1", "500", "drop-after-place", "ok"]])
        )
        try await withSimulator(configuration) { simulator, client in
            var shapes: [ErrorShape?] = []
            for _ in 0..<5 {
                shapes.append(
                    await callingError { () async throws(CallingError) in
                        try await client.placeCall(callRequest(to: Self.number))
                    }.map(ErrorShape.init)
                )
            }
            #expect(
                shapes == [
                    ErrorShape("rateLimited", 429, retryAfter: .seconds(1)), ErrorShape("outcomeUnknown", 500),
                    ErrorShape("outcomeUnknown"), nil, nil,
                ]
            )
            // Another number is untouched by this number's script.
            _ = try await client.placeCall(callRequest(to: "+15550100002"))
            let ledger = await simulator.ledger()
            #expect(ledger.entries.map(\.placed) == [false, false, true, true, true, true])
            #expect(ledger.entries.map(\.status) == [429, 500, nil, 200, 200, 200])
            #expect(ledger.entries[2].dropped)
        }
    }

    @Test func retryAfterHTTPDateIsMeasuredFromTheInjectedNow() async throws {
        let configuration = PokuSimulator.Configuration(
            script: try FaultScript(faultTexts: [Self.number: ["429:retry-after-date=30"]])
        )
        // The header has whole seconds, so "now" a few seconds early makes the wait exact to the second.
        let fixedNow = Date(timeIntervalSince1970: (Date().timeIntervalSince1970).rounded(.down) - 10)
        try await withSimulator(
            configuration, clientConfiguration: { PokuClient.Configuration(baseURL: $0, now: { fixedNow }) }
        ) {
            _, client in
            let sent = Date()
            let error = await callingError { () async throws(CallingError) in
                try await client.placeCall(callRequest(to: Self.number))
            }
            let answered = Date()
            guard case .rateLimited(429, let wait?) = error else {
                Issue.record("expected rateLimited with a wait, got \(String(describing: error))")
                return
            }
            // The simulator stamps the date when the request arrives, somewhere between `sent` and
            // `answered`; on a loaded machine that can be seconds after `fixedNow` was taken.
            let earliest = sent.timeIntervalSince(fixedNow) + 30 - 1
            let latest = answered.timeIntervalSince(fixedNow) + 30 + 1
            #expect(wait >= .seconds(earliest) && wait <= .seconds(latest))
        }
    }

    @Test(arguments: [
        ("120", Duration.seconds(120)),
        ("0", .seconds(0)),
        ("Tue, 24 Nov 2026 16:00:30 GMT", .seconds(30)),
        ("Tuesday, 24-Nov-26 16:01:00 GMT", .seconds(60)),
        ("Tue Nov 24 16:00:05 2026", .seconds(5)),
        ("Tue, 24 Nov 2026 15:59:00 GMT", .seconds(0)),
    ])
    func retryAfterParsesBothForms(header: String, expected: Duration) {
        let now = Date(timeIntervalSince1970: 1_795_536_000)  // 2026-11-24 16:00:00 UTC
        #expect(RetryAfter.parse(header, now: now) == expected)
    }

    @Test(arguments: ["", "soon", "-5", "1.5"])
    func retryAfterIgnoresGarbage(header: String) {
        #expect(RetryAfter.parse(header, now: Date()) == nil)
    }

    @Test func connectionRefusedIsNotSent() async throws {
        // A port that was just listening and is now closed: nothing answers there.
        let simulator = try await PokuSimulator.start()
        let url = simulator.baseURL
        await simulator.shutdown()
        let client = PokuClient(configuration: .init(baseURL: url, connectTimeout: .seconds(2)), apiKey: "k")
        let error = await callingError { () async throws(CallingError) in
            try await client.placeCall(callRequest(to: Self.number))
        }
        await client.shutdown()
        #expect(error.map(ErrorShape.init) == ErrorShape("notSent"))
    }

    @Test func timeoutAfterSendIsOutcomeUnknown() async throws {
        let configuration = PokuSimulator.Configuration(
            script: try FaultScript(faultTexts: [Self.number: ["slow:delay=3"]])
        )
        // The deadline must pass after the request left, and a test process loaded by every other suite has been
        // seen to take more than 200 ms to connect and send on loopback (then the error is, rightly, notSent):
        // 1 s to send, an answer that takes 3.
        try await withSimulator(
            configuration,
            clientConfiguration: { PokuClient.Configuration(baseURL: $0, requestTimeout: .seconds(1)) }
        ) { simulator, client in
            let error = await callingError { () async throws(CallingError) in
                try await client.placeCall(callRequest(to: Self.number))
            }
            #expect(error.map(ErrorShape.init) == ErrorShape("outcomeUnknown"))
            // The request left before the client gave up; on a loaded machine the simulator may record it
            // only after that, so wait for the entry (with a deadline) rather than read the ledger once.
            let deadline = ContinuousClock.now + .seconds(10)
            while await simulator.ledger().entries.isEmpty, ContinuousClock.now < deadline { await Task.yield() }
            #expect(await simulator.ledger().entries.count == 1)
        }
    }

    @Test func badKeyIsUnauthorizedAndPlacesNothing() async throws {
        try await withSimulator(apiKey: "wrong-key") { simulator, client in
            let error = await callingError { () async throws(CallingError) in
                try await client.placeCall(callRequest(to: Self.number))
            }
            #expect(error.map(ErrorShape.init) == ErrorShape("unauthorized", 401))
            let statusError = await callingError { () async throws(CallingError) in
                try await client.status(of: "anything")
            }
            #expect(statusError.map(ErrorShape.init) == ErrorShape("unauthorized", 401))
            let ledger = await simulator.ledger()
            #expect(ledger.callsPlaced == 0)
            #expect(ledger.entries.map(\.status) == [401, 401])
        }
    }

    @Test(arguments: [
        (CallRequest(prompt: "Hi", to: "5550100"), 422),
        (CallRequest(prompt: "Hi", to: "+0550100"), 422),
        (CallRequest(prompt: "", to: "+15550100001"), 422),
        (CallRequest(prompt: "Hi", to: "+15550100001", language: "xx-XX"), 422),
        (CallRequest(prompt: "Hi", to: "+15550100001", voice: "robot"), 422),
        (CallRequest(prompt: "Hi", to: "+15550100001", from: "555"), 422),
        (CallRequest(prompt: "Hi", to: "+15550100001", transferTo: "nobody"), 422),
    ])
    func invalidRequestsAreRejected(request: CallRequest, status: Int) async throws {
        try await withSimulator { simulator, client in
            let error = await callingError { () async throws(CallingError) in try await client.placeCall(request) }
            #expect(error.map(ErrorShape.init) == ErrorShape("rejected", status))
            if case .rejected(_, let message)? = error { #expect(!message.isEmpty) }
            #expect(await simulator.ledger().callsPlaced == 0)
        }
    }

    @Test func validOptionalFieldsAreAccepted() async throws {
        try await withSimulator { _, client in
            let request = CallRequest(
                prompt: "Hi", to: "+4915112345678", from: "+15550000001", transferTo: "+15550000002",
                language: "de-DE", voice: "male", waitForCallEnd: false
            )
            let placed = try await client.placeCall(request)
            #expect(!placed.interactionID.isEmpty)
        }
    }

    @Test func unknownInteractionIsNotFound() async throws {
        try await withSimulator { _, client in
            let error = await callingError { () async throws(CallingError) in try await client.status(of: "nope") }
            #expect(error == .interactionNotFound("nope"))
        }
    }

    @Test func scriptedStatus404HitsAPlacedCall() async throws {
        let configuration = PokuSimulator.Configuration(
            script: try FaultScript(faultTexts: [Self.number: ["status-404"]])
        )
        try await withSimulator(configuration) { simulator, client in
            let placed = try await client.placeCall(callRequest(to: Self.number))
            let error = await callingError { () async throws(CallingError) in
                try await client.status(of: placed.interactionID)
            }
            #expect(error == .interactionNotFound(placed.interactionID))
            #expect(await simulator.ledger().callsPlaced == 1)
        }
    }

    @Test(arguments: [
        ("500", ErrorShape("outcomeUnknown", 500)), ("malformed", ErrorShape("outcomeUnknown", 200)),
        ("429:retry-after=3", ErrorShape("rateLimited", 429, retryAfter: .seconds(3))),
        ("404", ErrorShape("interactionNotFound", 404)),
    ])
    func statusFaultsAreClassified(fault: String, expected: ErrorShape) async throws {
        let configuration = PokuSimulator.Configuration(script: try FaultScript(faultTexts: [:], statusFault: fault))
        try await withSimulator(configuration) { _, client in
            let placed = try await client.placeCall(callRequest(to: Self.number))
            let error = await callingError { () async throws(CallingError) in
                try await client.status(of: placed.interactionID)
            }
            #expect(error.map(ErrorShape.init) == expected)
        }
    }

    @Test func theKeyIsNeverShown() async throws {
        let client = PokuClient(
            configuration: .init(baseURL: URL(string: "http://127.0.0.1:1")!), apiKey: "sk-very-secret-key"
        )
        var dumped = ""
        dump(client, to: &dumped)
        for text in ["\(client)", String(reflecting: client), dumped] {
            #expect(!text.contains("sk-very-secret-key"))
        }
        #expect("\(client)".contains("Bearer ***"))
        await client.shutdown()
    }
}
