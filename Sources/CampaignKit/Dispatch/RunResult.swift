import Foundation

/// How `Dispatcher.run` ended without an error.
public enum RunResult: Sendable, Equatable {
    /// Every job is in an end state.
    case finished(JobCounts)
    /// Only jobs waiting for a retry time or a calling window are left (`noWait`): run again after `until`.
    case waiting(until: Date, JobCounts)
    /// Stopped on request; everything is in the database and the next run continues.
    case stopped(JobCounts)
    /// The deadline (`--until`) passed: no call started after it; queued jobs stay queued.
    case pastDeadline(Date, JobCounts)
}
