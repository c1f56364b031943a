import Foundation

/// Whether a job a claim takes may start now: asked by the claim about each candidate, in its transaction.
public protocol ClaimAdmission: Sendable {
    /// `nil` when `job` may start now, else the instant it waits for.
    func until(_ job: DueJob) -> Date?
}
