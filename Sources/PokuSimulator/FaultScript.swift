import Foundation

/// Faults and outcomes scripted per phone number, so a test says exactly what happens to each
/// request instead of "every Nth request fails" (which is not deterministic under concurrency).
///
/// JSON form (all keys optional):
/// ```json
/// {
///   "faults":   {"+15550100001": ["429:retry-after=2", "500", "drop-after-place", "ok"]},
///   "outcomes": {"+15550100002": "voicemail"},
///   "defaultFault": "503:retry-after=1",
///   "statusFault": "404",
///   "responseDelay": 0.2
/// }
/// ```
/// `faults[to]` applies to that number's successive POSTs; once used up, `defaultFault` applies.
/// `statusFault` applies to every status request; `responseDelay` delays every API answer.
public struct FaultScript: Sendable, Equatable {
    public var faults: [String: [SimulatedFault]]
    public var outcomes: [String: SimulatedOutcome]
    public var defaultFault: SimulatedFault
    public var statusFault: SimulatedFault
    public var responseDelay: Double

    public init(
        faults: [String: [SimulatedFault]] = [:], outcomes: [String: SimulatedOutcome] = [:],
        defaultFault: SimulatedFault = .ok, statusFault: SimulatedFault = .ok, responseDelay: Double = 0
    ) {
        self.faults = faults
        self.outcomes = outcomes
        self.defaultFault = defaultFault
        self.statusFault = statusFault
        self.responseDelay = responseDelay
    }

    /// Builds a script from fault texts, e.g. `["+15550100001": ["429:retry-after=2", "ok"]]`.
    public init(
        faultTexts: [String: [String]], outcomes: [String: SimulatedOutcome] = [:], defaultFault: String = "ok",
        statusFault: String = "ok", responseDelay: Double = 0
    ) throws(SimulatorScriptError) {
        var faults: [String: [SimulatedFault]] = [:]
        for (number, texts) in faultTexts {
            var list: [SimulatedFault] = []
            for text in texts { list.append(try SimulatedFault(parsing: text)) }
            faults[number] = list
        }
        self.init(
            faults: faults, outcomes: outcomes, defaultFault: try SimulatedFault(parsing: defaultFault),
            statusFault: try SimulatedFault(parsing: statusFault), responseDelay: responseDelay
        )
    }

    /// Parses the JSON form shown on the type.
    public init(json data: Data) throws(SimulatorScriptError) {
        let decoded: Wire
        do {
            decoded = try JSONDecoder().decode(Wire.self, from: data)
        } catch {
            throw .unreadable("\(error)")
        }
        var outcomes: [String: SimulatedOutcome] = [:]
        for (number, text) in decoded.outcomes ?? [:] {
            guard let outcome = SimulatedOutcome(rawValue: text) else { throw .badOutcome(text) }
            outcomes[number] = outcome
        }
        try self.init(
            faultTexts: decoded.faults ?? [:], outcomes: outcomes, defaultFault: decoded.defaultFault ?? "ok",
            statusFault: decoded.statusFault ?? "ok", responseDelay: decoded.responseDelay ?? 0
        )
    }

    private struct Wire: Decodable {
        var faults: [String: [String]]?
        var outcomes: [String: String]?
        var defaultFault: String?
        var statusFault: String?
        var responseDelay: Double?
    }
}

/// How a simulated call ends.
public enum SimulatedOutcome: String, Sendable, Equatable, CaseIterable, Codable {
    /// Someone answered: a summary and a recording.
    case answered
    /// Voicemail picked up: the summary says so.
    case voicemail
    /// The line was busy: the summary says so.
    case busy
    /// Nobody answered: `ended` with no completionEvent.
    case noAnswer = "no-answer"
    /// Someone answered and asked not to be called again (scripted only; never drawn by the weights).
    case optOut = "opt-out"
}
