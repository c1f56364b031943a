/// A job a person has to look at: `unknown`, or carrying a review reason.
public struct ReviewJob: Sendable, Equatable, Codable {
    var id: Int64
    var phone: String
    var status: String
    var attempts: Int
    var reason: String?
    var lastAttemptAt: String?
}

/// Attempt totals of a campaign.
struct AttemptTotals: Sendable, Equatable, Codable {
    /// Attempts counted against the jobs (`jobs.attempts`: what the retry limit counts).
    var used: Int
    /// Attempts by state (`ended`, `placed`, `rejected`, `unknown`, `not_placed`, `dialing`).
    var byState: [String: Int]
}

/// Totals over a campaign's jobs that need a full scan (see `jobTotals`).
public struct JobTotals: Sendable, Equatable {
    var byOutcome: [String: Int] = [:]
    var attemptsUsed = 0
    /// Jobs other than `unknown` ones that carry a review reason.
    var flagged = 0
}

/// The raw figures behind the credit estimate: calls that ended, and their started minutes.
public struct CallMinutes: Sendable, Equatable {
    /// Ended calls with both timestamps.
    var calls: Int
    /// Sum over those calls of their started minutes (at least 1 each).
    var startedMinutes: Int
    /// Total seconds between intent and end, over the same calls.
    var seconds: Double
}

/// One job with its results, as `--json --jobs` prints it.
public struct JobRecord: Sendable, Equatable {
    var id: Int64
    var sourceLine: Int
    var rowCSV: String
    var phoneE164: String
    var status: String
    var outcome: String?
    var attempts: Int
    var interactionID: String?
    var summary: String?
    var recordingURL: String?
    var error: String?
    var reviewReason: String?
    var nextAttemptAt: String?
    var lastAttemptAt: String?
    var completedAt: String?
}
