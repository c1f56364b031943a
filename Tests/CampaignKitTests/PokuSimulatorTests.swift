import AsyncHTTPClient
@testable import CampaignKit
import Foundation
import NIOCore
import PokuSimulator
import Testing

/// The simulator's own promises: determinism, concurrency tracking, the HTTP control endpoints.
@Suite struct PokuSimulatorTests {
    static let numbers = (1...6).map { "+1555020000\($0)" }

    /// Places one waitForCallEnd call per number, in the given order, all at once.
    static func answers(seed: UInt64, order: [String]) async throws -> [String: String] {
        let configuration = PokuSimulator.Configuration(
            seed: seed, callDuration: .exponential(mean: .milliseconds(30))
        )
        return try await withSimulator(configuration) { _, client in
            try await withThrowingTaskGroup(of: (String, String).self) { group in
                for number in order {
                    group.addTask {
                        let placed = try await client.placeCall(callRequest(to: number, waitForCallEnd: true))
                        let summary = placed.completion?.summary ?? "no answer"
                        return (number, "\(placed.interactionID) \(summary)")
                    }
                }
                var answers: [String: String] = [:]
                for try await (number, answer) in group { answers[number] = answer }
                return answers
            }
        }
    }

    @Test func sameSeedGivesTheSameCallsWhateverTheOrder() async throws {
        let first = try await Self.answers(seed: 42, order: Self.numbers)
        let second = try await Self.answers(seed: 42, order: Self.numbers.reversed())
        let other = try await Self.answers(seed: 43, order: Self.numbers)
        #expect(first == second)
        #expect(first.count == Self.numbers.count)
        #expect(first != other)
    }

    @Test func outcomeDependsOnTheAttemptCountOfTheNumber() async throws {
        let configuration = PokuSimulator.Configuration(seed: 7, callDuration: .fixed(.milliseconds(10)))
        let run: @Sendable (Bool) async throws -> [String] = { interleave in
            try await withSimulator(configuration) { _, client in
                var ids: [String] = []
                for _ in 0..<3 {
                    if interleave { _ = try await client.placeCall(callRequest(to: "+15550300009")) }
                    ids.append(try await client.placeCall(callRequest(to: "+15550300001")).interactionID)
                }
                return ids
            }
        }
        let plain = try await run(false)
        let interleaved = try await run(true)
        #expect(plain == interleaved)
        #expect(Set(plain).count == 3)
    }

    @Test func outcomeWeightsShapeTheMix() async throws {
        let configuration = PokuSimulator.Configuration(
            callDuration: .fixed(.milliseconds(10)),
            outcomeWeights: .init(answered: 0, voicemail: 1, busy: 0, noAnswer: 0)
        )
        try await withSimulator(configuration) { _, client in
            for number in Self.numbers {
                let placed = try await client.placeCall(callRequest(to: number, waitForCallEnd: true))
                #expect(placed.completion?.summary?.contains("voicemail") == true)
            }
        }
    }

    @Test func tracksTheMostCallsInProgressAtOnce() async throws {
        // Calls that outlast the test however loaded the machine is: all four are in progress at the end.
        let configuration = PokuSimulator.Configuration(callDuration: .fixed(.seconds(3600)))
        try await withSimulator(configuration) { simulator, client in
            for number in Self.numbers.prefix(4) {
                _ = try await client.placeCall(callRequest(to: number))
            }
            let ledger = await simulator.ledger()
            #expect(ledger.maxConcurrentCalls == 4)
            #expect(ledger.inProgressCalls == 4)
            #expect(ledger.callsPlaced == 4)
        }
    }

    /// More held `waitForCallEnd` POSTs than AsyncHTTPClient's default of 8 connections per host:
    /// all of them must be in progress at once, none queued unsent in the client's pool.
    @Test func manyHeldCallsRunAtOnce() async throws {
        // Long enough that all 16 POSTs are sent while the first is still held, on a loaded 2-core machine
        // running the whole suite too (with 500 ms calls, only 10 overlapped there).
        let configuration = PokuSimulator.Configuration(callDuration: .fixed(.seconds(5)))
        try await withSimulator(configuration) { simulator, client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<16 {
                    group.addTask {
                        _ = try await client.placeCall(callRequest(to: "+1555040\(1000 + index)", waitForCallEnd: true))
                    }
                }
                try await group.waitForAll()
            }
            let ledger = await simulator.ledger()
            #expect(ledger.callsPlaced == 16)
            #expect(ledger.maxConcurrentCalls == 16)
            #expect(ledger.entries.allSatisfy { $0.status == 200 })
        }
    }

    @Test func callsThatEndedDoNotCountAsConcurrent() async throws {
        let configuration = PokuSimulator.Configuration(callDuration: .fixed(.milliseconds(20)))
        try await withSimulator(configuration) { simulator, client in
            for number in Self.numbers.prefix(3) {
                let placed = try await client.placeCall(callRequest(to: number))
                try await simulator.waitForCallEnd(placed.interactionID)
            }
            let ledger = await simulator.ledger()
            #expect(ledger.maxConcurrentCalls == 1)
            #expect(ledger.inProgressCalls == 0)
        }
    }

    @Test func ledgerAndScriptOverHTTP() async throws {
        try await withSimulator { simulator, client in
            try await withRawHTTP { http in
                let base = simulator.baseURL.absoluteString

                var load = HTTPClientRequest(url: base + "/_sim/script")
                load.method = .POST
                load.body = .bytes(ByteBuffer(string: #"{"faults": {"+15550100001": ["429:retry-after=4"]}}"#))
                let loaded = try await http.execute(load, timeout: .seconds(5))
                #expect(loaded.status.code == 200)

                let error = await callingError { () async throws(CallingError) in
                    try await client.placeCall(callRequest(to: "+15550100001"))
                }
                #expect(error == .rateLimited(status: 429, retryAfter: .seconds(4)))
                _ = try await client.placeCall(callRequest(to: "+15550100001", waitForCallEnd: false))

                let response = try await http.execute(
                    HTTPClientRequest(url: base + "/_sim/ledger"), timeout: .seconds(5))
                let body = try await response.body.collect(upTo: 1 << 20)
                let snapshot = try JSONDecoder().decode(LedgerSnapshot.self, from: Data(body.readableBytesView))
                #expect(snapshot.entries.map(\.placed) == [false, true])
                #expect(snapshot.entries.map(\.to) == ["+15550100001", "+15550100001"])
                #expect(snapshot.entries[0].fault == "429:retry-after=4")
                #expect(snapshot.entries[1].interactionId != nil)
                #expect(snapshot.callsPlaced == 1)
            }
        }
    }

    @Test(arguments: [
        (#"{"to": "+15550100001"}"#, 400),
        (#"{"prompt": "Hi"}"#, 400),
        (#"{"prompt": "Hi", "to": "+15550100001", "webhook": "x"}"#, 400),
        (#"{"prompt": "Hi", "to": "+15550100001", "waitForCallEnd": "yes"}"#, 400),
        ("not json", 400),
    ])
    func malformedBodiesAreRefusedWithAJSONError(body: String, status: Int) async throws {
        try await withSimulator { simulator, _ in
            try await withRawHTTP { http in
                var request = HTTPClientRequest(url: simulator.baseURL.absoluteString + "/calls")
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(simulator.configuration.apiKey)")
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
                let response = try await http.execute(request, timeout: .seconds(5))
                let answer = try await response.body.collect(upTo: 1 << 16)
                #expect(Int(response.status.code) == status)
                let object = try JSONSerialization.jsonObject(with: Data(answer.readableBytesView)) as? [String: Any]
                #expect(object?["error"] is String)
                #expect(object?["code"] is String)
                #expect(await simulator.ledger().callsPlaced == 0)
            }
        }
    }

    @Test(arguments: ["", "teapot", "429:retry-after=soon", "700", "ok:colour=blue"])
    func badFaultTextIsRefused(text: String) {
        #expect(throws: SimulatorScriptError.self) { try SimulatedFault(parsing: text) }
    }

    @Test func scriptParsesFromJSON() throws {
        let json = #"""
            {"faults": {"+15550100001": ["429:retry-after-date=5", "slow:delay=0.5", "ok"]},
             "outcomes": {"+15550100002": "no-answer"}, "defaultFault": "503:retry-after=1", "responseDelay": 0.1}
            """#
        let script = try FaultScript(json: Data(json.utf8))
        #expect(script.faults["+15550100001"]?.map(\.kind) == [.httpError(status: 429), .ok, .ok])
        #expect(script.faults["+15550100001"]?.first?.retryAfter == .date(secondsFromNow: 5))
        #expect(script.faults["+15550100001"]?[1].delay == 0.5)
        #expect(script.outcomes == ["+15550100002": .noAnswer])
        #expect(script.defaultFault.retryAfter == .seconds(1))
        #expect(script.responseDelay == 0.1)
        #expect(throws: SimulatorScriptError.self) {
            try FaultScript(json: Data(#"{"outcomes": {"+1": "maybe"}}"#.utf8))
        }
    }
}
