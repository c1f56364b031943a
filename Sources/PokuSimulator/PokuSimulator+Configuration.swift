import Foundation

extension PokuSimulator {
    /// Everything that shapes a simulator run. Two runs with the same configuration and the same
    /// requests per number produce the same calls.
    public struct Configuration: Sendable {
        /// Loopback host to bind.
        public var host: String
        /// 0 picks a free port; read the bound one from `PokuSimulator.port`.
        public var port: Int
        public var seed: UInt64
        /// The key every request must carry as `Authorization: Bearer <key>`.
        public var apiKey: String
        public var callDuration: CallDuration
        public var outcomeWeights: OutcomeWeights
        public var completionEventForm: CompletionEventForm
        public var script: FaultScript

        public init(
            host: String = "127.0.0.1", port: Int = 0, seed: UInt64 = 1, apiKey: String = "sim-key",
            callDuration: CallDuration = .uniform(mean: .milliseconds(500)), outcomeWeights: OutcomeWeights = .init(),
            completionEventForm: CompletionEventForm = .mixed, script: FaultScript = .init()
        ) {
            self.host = host
            self.port = port
            self.seed = seed
            self.apiKey = apiKey
            self.callDuration = callDuration
            self.outcomeWeights = outcomeWeights
            self.completionEventForm = completionEventForm
            self.script = script
        }
    }

    /// How long a simulated call lasts, drawn from the call's seeded generator.
    public enum CallDuration: Sendable, Equatable {
        case fixed(Duration)
        /// Uniform between half and one and a half times the mean.
        case uniform(mean: Duration)
        /// Exponential with this mean (a long tail, like real calls).
        case exponential(mean: Duration)

        func draw(_ unit: Double) -> Duration {
            switch self {
            case .fixed(let duration): return duration
            case .uniform(let mean): return mean * (0.5 + unit)
            case .exponential(let mean): return mean * (-Foundation.log(1 - min(unit, 0.999_999)))
            }
        }
    }

    /// Relative weights of the outcomes; they need not sum to anything in particular.
    public struct OutcomeWeights: Sendable, Equatable {
        public var answered: Double
        public var voicemail: Double
        public var busy: Double
        public var noAnswer: Double

        public init(answered: Double = 6, voicemail: Double = 2, busy: Double = 1, noAnswer: Double = 1) {
            self.answered = answered
            self.voicemail = voicemail
            self.busy = busy
            self.noAnswer = noAnswer
        }

        func pick(_ unit: Double) -> SimulatedOutcome {
            let table: [(SimulatedOutcome, Double)] = [
                (.answered, answered), (.voicemail, voicemail), (.busy, busy), (.noAnswer, noAnswer),
            ]
            let total = table.reduce(0) { $0 + max($1.1, 0) }
            guard total > 0 else { return .answered }
            var point = unit * total
            for (outcome, weight) in table where weight > 0 {
                if point < weight { return outcome }
                point -= weight
            }
            return table.last { $0.1 > 0 }?.0 ?? .answered
        }
    }

    /// Which of the two `completionEvent` forms docs/poku-api.md allows the simulator sends.
    public enum CompletionEventForm: String, Sendable, Equatable {
        /// `{"eventType": "call.conversation.ended", "payload": {...}}`
        case wrapped
        /// `{"interactionId", "summary", "from", "to", ...}`
        case bare
        /// Either, chosen per call by its seeded generator.
        case mixed
    }
}
