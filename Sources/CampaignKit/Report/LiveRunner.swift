/// A runner working a campaign on PostgreSQL, as `campaign list` and `campaign report` show it.
public struct LiveRunner: Sendable, Equatable, Codable {
    public var host: String
    public var pid: Int
    /// Its jobs `dialing` or `in_progress`.
    public var callsInFlight: Int
    /// Seconds since its lease was last renewed, by the database's clock.
    public var secondsSinceHeartbeat: Double

    /// `vm pid 4242`: how messages name it.
    public var name: String { "\(host) pid \(pid)" }

    /// One line: `vm pid 4242: 3 call(s) in flight, last heartbeat 1.2 s ago`.
    public var line: String {
        "\(name): \(callsInFlight) call(s) in flight, last heartbeat "
            + "\((secondsSinceHeartbeat * 10).rounded() / 10) s ago"
    }
}
