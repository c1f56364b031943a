/// What `campaign resolve` does with `unknown` jobs.
public enum ResolveAction: String, Sendable {
    /// Queue the job again: the user checked that no call reached the person, or wants another one.
    case requeue
    /// Close the job as completed: the user knows the call happened.
    case done
}
