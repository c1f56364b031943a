import Foundation

/// Decides whether and when a finished call is tried again.
///
/// Pure: the jitter comes in as a number in `0..<1` drawn by the caller from its injected random
/// source, so tests give an exact value and get an exact time back.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts a job may use in all, the first one included.
    var maxAttempts: Int
    /// The wait before the second attempt; each later wait doubles.
    var baseDelay: Duration
    /// Fraction of the delay the jitter may add or remove (0.2: ±20%), so retries of a batch spread out.
    var jitter: Double
    /// Outcome labels worth another attempt.
    var retryableOutcomes: Set<String>

    public static let defaultRetryableOutcomes: Set<String> = [
        OutcomeRules.noAnswer, OutcomeRules.busy, OutcomeRules.noResult,
    ]

    public init(
        maxAttempts: Int = 3, baseDelay: Duration = .seconds(30 * 60), jitter: Double = 0.2,
        retryableOutcomes: Set<String> = RetryPolicy.defaultRetryableOutcomes
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.jitter = jitter
        self.retryableOutcomes = retryableOutcomes
    }

    /// What becomes of a job whose attempt number `attempt` (1-based) ended with `outcome`.
    enum Decision: Sendable, Equatable {
        /// The outcome is final: the job is completed.
        case done
        /// Try again, not before this instant.
        case retry(at: Date)
        /// Retryable, but every attempt is used up: the job fails.
        case exhausted
    }

    /// The decision for attempt `attempt` that ended at `end` with `outcome`; `randomUnit` is in `0..<1`
    /// (0.5 means no jitter).
    func nextAttempt(after end: Date, outcome: String, attempt: Int, randomUnit: Double = 0.5) -> Decision {
        guard retryableOutcomes.contains(outcome) else { return .done }
        guard attempt < maxAttempts else { return .exhausted }
        return .retry(at: end.addingTimeInterval(delay(afterAttempt: attempt, randomUnit: randomUnit)))
    }

    /// Seconds to wait after attempt `attempt`: `baseDelay * 2^(attempt-1)`, then ± jitter.
    func delay(afterAttempt attempt: Int, randomUnit: Double) -> TimeInterval {
        let exponent = Double(max(0, min(attempt - 1, 30)))
        let base = baseDelay.seconds * pow(2, exponent)
        let unit = min(max(randomUnit, 0), 1)
        return min(max(0, base * (1 + jitter * (2 * unit - 1))), Self.longestDelay)
    }

    /// No retry waits longer than this, however many attempts double the delay: a wait is a date the store
    /// writes, and it must stay one a person would still wait for.
    static let longestDelay: TimeInterval = 30 * 86_400

    /// Reads `--retry-on no_answer,busy,voicemail`.
    public static func outcomes(fromList text: String) throws(RetryPolicyError) -> Set<String> {
        let labels = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard !labels.isEmpty, labels.allSatisfy(OutcomeRules.isValidLabel) else {
            throw .badOutcomeList(text)
        }
        return Set(labels)
    }
}

/// A retry setting that cannot be used.
public enum RetryPolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    case badOutcomeList(String)

    public var description: String {
        switch self {
        case .badOutcomeList(let text):
            return "--retry-on '\(text)' is not a list of outcome labels; write e.g. no_answer,busy,no_result "
                + "(labels use a-z, 0-9 and _)"
        }
    }
}
