import Foundation

/// One API request the simulator received, and what it did with it. The ledger is how tests
/// prove whether a call was placed, since the client alone cannot know after a lost answer.
public struct LedgerEntry: Sendable, Equatable, Codable {
    /// Position in arrival order, from 0.
    public var sequence: Int
    /// When the request arrived (ISO-8601 with milliseconds).
    public var time: String
    public var method: String
    public var path: String
    /// The body's `to`, when it had one.
    public var to: String?
    public var prompt: String?
    /// The status answered; `nil` while a `waitForCallEnd` request is held, or when the
    /// connection was closed without an answer (`dropped`).
    public var status: Int?
    /// Set when a call was placed.
    public var interactionId: String?
    /// Whether this request placed a real (simulated) phone call.
    public var placed: Bool
    /// The fault applied, if any (script notation).
    public var fault: String?
    /// The connection was closed without an answer.
    public var dropped: Bool
    /// For a request that placed a call: how long that call lasts, in seconds, so its end is `time` plus
    /// this. Benchmarks sum it to measure how busy the call slots really were.
    public var callSeconds: Double?
}

/// The ledger as `GET /_sim/ledger` returns it.
public struct LedgerSnapshot: Sendable, Equatable, Codable {
    public var entries: [LedgerEntry]
    /// Calls placed so far.
    public var callsPlaced: Int
    /// Calls placed and not yet ended, now.
    public var inProgressCalls: Int
    /// The most calls that were in progress at the same time.
    public var maxConcurrentCalls: Int

    /// The entries that placed a call to `number`.
    public func placedCalls(to number: String) -> [LedgerEntry] {
        entries.filter { $0.placed && $0.to == number }
    }
}
