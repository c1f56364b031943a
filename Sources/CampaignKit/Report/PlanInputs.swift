import Foundation

/// What `campaign plan` reads, of one moment.
public struct PlanInputs: Sendable {
    var jobs: [PlannedJob]
    var suppressed: Int
    var starts: [String: [Date]]
}

/// A queued job as `campaign plan` weighs it.
struct PlannedJob: Sendable {
    var phone: String
    var zone: String?
    var due: Date?
}
