/// What went wrong opening or using a PostgreSQL campaign database, in words a user can act on. `location` is
/// always the redacted URL (`PostgresLocation.redacted`): no case ever carries the password.
public enum PostgresStoreError: Error, CustomStringConvertible {
    /// No connection: the server is down, the socket file is missing, the host is unknown, TLS failed.
    case cannotConnect(location: String, reason: String)
    /// The server refused the user's password (or the user).
    case passwordRefused(location: String, user: String)
    /// The server asks for a password and neither the URL nor `PGPASSWORD` has one.
    case passwordMissing(location: String, user: String)
    case noSuchDatabase(location: String, database: String)
    /// A database without the campaign schema, opened by a command that only works an existing campaign
    /// database; or, for `import`, one that holds tables of the same names that campaign did not make.
    case notCampaignDatabase(location: String)
    /// The schema holds steps this binary does not know: a newer campaign made or upgraded it.
    case newerSchema(location: String, unknownSteps: [String])
    /// The schema lacks a step this binary cannot apply (one of the first schema's, which only ever come together).
    case incompleteSchema(location: String, missingSteps: [String])
    /// Anything else the server or the driver said.
    case server(location: String, reason: String)
    /// The connection holding this run's lock (`PostgresRunLock`) is gone, and the lock with it.
    case runLockLost(location: String)
    /// Another runner reaped this one: its lease expired (the machine froze, or lost the database for longer than
    /// a lease). Its jobs were handed on; it may start no call again.
    case runnerReaped(location: String)

    /// The connection failed or was lost, so the same statement may well succeed on another one: a run waits
    /// and tries again, starting no call meanwhile. A lost run lock never is: another run may hold it now.
    var isConnectionLost: Bool {
        if case .cannotConnect = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .cannotConnect(let location, let reason):
            return "cannot connect to the PostgreSQL database \(location): \(reason)"
        case .passwordRefused(let location, let user):
            return "the PostgreSQL server refused the password of user '\(user)' for \(location) "
                + "(the password comes from the URL, else from PGPASSWORD)"
        case .passwordMissing(let location, let user):
            return "the PostgreSQL server asks a password of user '\(user)' for \(location) and none was given: "
                + "put it in the URL (user:password@) or in PGPASSWORD"
        case .noSuchDatabase(let location, let database):
            return "the PostgreSQL server has no database '\(database)' (\(location)); create it (createdb "
                + "\(database)), then campaign import makes it a campaign database"
        case .notCampaignDatabase(let location):
            return "\(location) is not a campaign database (campaign import creates one; it was left as it is)"
        case .newerSchema(let location, let steps):
            return "\(location) was made by a newer campaign (schema steps \(steps.joined(separator: ", ")) are "
                + "unknown to this one); upgrade campaign"
        case .incompleteSchema(let location, let steps):
            return "\(location) lacks the schema steps \(steps.joined(separator: ", ")), which this campaign cannot "
                + "add; it was left as it is"
        case .server(let location, let reason):
            return "database error on \(location): \(reason)"
        case .runLockLost(let location):
            return "the connection holding this run's lock on \(location) was lost, and the lock with it: no call "
                + "starts from now on (another run may take the database); calls in flight are followed; run "
                + "campaign run again once the database answers"
        case .runnerReaped(let location):
            return "this runner's lease on \(location) expired (the machine was frozen or cut off from the database "
                + "for longer than a lease) and another runner took over its jobs: it starts no call from now on; "
                + "calls it was placing are unknown, calls in flight are followed by the other runners; run "
                + "campaign run again to rejoin"
        }
    }
}
