/// A job a person has to look at: `unknown`, or carrying a review reason.
public struct ReviewJob: Sendable, Equatable, Codable {
    public var id: Int64
    public var phone: String
    public var status: String
    public var attempts: Int
    public var reason: String?
    public var lastAttemptAt: String?
}

/// Attempt totals of a campaign.
public struct AttemptTotals: Sendable, Equatable, Codable {
    /// Attempts counted against the jobs (`jobs.attempts`: what the retry limit counts).
    public var used: Int
    /// Attempts by state (`ended`, `placed`, `rejected`, `unknown`, `not_placed`, `dialing`).
    public var byState: [String: Int]
}

/// Totals over a campaign's jobs that need a full scan (see `jobTotals`).
public struct JobTotals: Sendable, Equatable {
    public var byOutcome: [String: Int] = [:]
    public var attemptsUsed = 0
    /// Jobs other than `unknown` ones that carry a review reason.
    public var flagged = 0
}

/// The raw figures behind the credit estimate: calls that ended, and their started minutes.
public struct CallMinutes: Sendable, Equatable {
    /// Ended calls with both timestamps.
    public var calls: Int
    /// Sum over those calls of their started minutes (at least 1 each).
    public var startedMinutes: Int
    /// Total seconds between intent and end, over the same calls.
    public var seconds: Double
}

/// One job with its results, as `--json --jobs` prints it.
public struct JobRecord: Sendable, Equatable {
    public var id: Int64
    public var sourceLine: Int
    public var rowCSV: String
    public var phoneE164: String
    public var status: String
    public var outcome: String?
    public var attempts: Int
    public var interactionID: String?
    public var summary: String?
    public var recordingURL: String?
    public var error: String?
    public var reviewReason: String?
    public var nextAttemptAt: String?
    public var lastAttemptAt: String?
    public var completedAt: String?
}
