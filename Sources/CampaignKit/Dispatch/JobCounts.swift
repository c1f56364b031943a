/// Jobs of a campaign by status, for progress lines and for deciding when a run is over.
public struct JobCounts: Sendable, Equatable {
    public var byStatus: [JobStatus: Int] = [:]

    init(byStatus: [JobStatus: Int] = [:]) { self.byStatus = byStatus }

    /// Counts from a database's `(status, count)` rows. The schema's CHECK allows only `JobStatus`'s values;
    /// anything else is a database this binary does not understand, said as such rather than counted under a guess.
    init(statusRows rows: some Sequence<(String, Int)>) throws(DispatchStoreError) {
        for (text, count) in rows {
            guard let status = JobStatus(rawValue: text) else { throw .unknownStatus(text) }
            byStatus[status] = count
        }
    }

    subscript(status: JobStatus) -> Int { byStatus[status] ?? 0 }
    public var total: Int { byStatus.values.reduce(0, +) }
    public var queued: Int { self[.queued] }
    var completed: Int { self[.completed] }
    public var failed: Int { self[.failed] }
    public var unknown: Int { self[.unknown] }
    var active: Int { self[.dialing] + self[.inProgress] }
    /// Jobs in an end state: nothing more will happen to them without a person.
    public var finished: Int { JobStatus.allCases.filter(\.isFinal).reduce(0) { $0 + self[$1] } }
}
