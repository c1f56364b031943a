import Foundation

/// Everything `campaign run` lets the user choose about how calls are placed and followed.
public struct DispatchConfiguration: Sendable {
    /// Calls in flight at most (placed and not yet ended).
    public var maxParallel: Int
    /// Wait between two status polls of one call; jittered by `pollJitter` so calls placed together
    /// do not poll together.
    var pollInterval: Duration
    var pollJitter: Double
    /// Place calls with `waitForCallEnd` (the POST answers when the call has ended) instead of polling.
    var waitForCallEnd: Bool
    var retry: RetryPolicy
    var outcomeRules: OutcomeRules
    /// When calls may start in the recipient's zone; `nil`: any time.
    public var window: CallingWindow?
    /// The zone of recipients whose row and campaign name none (the run's `--timezone`). `nil`: with a
    /// window, such a job is not called (never the machine's zone: a container's UTC is nobody's morning).
    public var defaultTimeZone: TimeZone?
    /// Cap on call starts; `nil`: as fast as slots free up.
    public var rate: RatePacer?
    /// Return instead of sleeping when only retries or windows are left to wait for.
    var noWait: Bool
    /// How long in-flight calls are still followed after a stop is asked for.
    var gracePeriod: Duration
    /// Pause of the whole pool after a 429/503 that gave no Retry-After.
    var rateLimitPause: Duration
    /// First back-off after a request that never left (connection refused…); doubles with each in a row.
    var connectBackoff: Duration
    /// Consecutive 5xx/connection failures that open the circuit breaker.
    var breakerThreshold: Int
    /// How long an open breaker stops placements before one probe call is tried.
    var breakerCooldown: Duration
    /// How long a placed call is followed at most (from its intent): a status that stays `pending`, or an
    /// endpoint failing for ever, must not hold a slot for ever. Past it the job becomes `unknown` with its
    /// interactionId and a review reason; the call is never redialled.
    public var maxCallDuration: Duration = .seconds(30 * 60)
    /// POSTs in a row rejected with the same status and message that stop the run (a campaign-wide cause).
    var repeatedRejectionLimit = 3
    /// With `noWait`, a pause (Retry-After, the breaker, `--rate`) longer than this with nothing in flight
    /// ends the run like a wait for a retry does.
    var noWaitPauseLimit: Duration = .seconds(60)
    /// Per-number caps and gaps across every campaign (`--max-calls-per-number`, `--min-gap`); `nil`: none.
    public var pressure: ContactPressure?
    /// No call starts at or after it (`--until`); calls in flight are still followed to their end.
    public var deadline: Date?

    public init(
        maxParallel: Int = 5, pollInterval: Duration = .seconds(5), pollJitter: Double = 0.2,
        waitForCallEnd: Bool = false, retry: RetryPolicy = RetryPolicy(), outcomeRules: OutcomeRules = OutcomeRules(),
        window: CallingWindow? = nil, defaultTimeZone: TimeZone? = nil, rate: RatePacer? = nil,
        noWait: Bool = false, gracePeriod: Duration = .seconds(60), rateLimitPause: Duration = .seconds(10),
        connectBackoff: Duration = .seconds(2), breakerThreshold: Int = 5, breakerCooldown: Duration = .seconds(60)
    ) {
        self.maxParallel = maxParallel
        self.pollInterval = pollInterval
        self.pollJitter = pollJitter
        self.waitForCallEnd = waitForCallEnd
        self.retry = retry
        self.outcomeRules = outcomeRules
        self.window = window
        self.defaultTimeZone = defaultTimeZone
        self.rate = rate
        self.noWait = noWait
        self.gracePeriod = gracePeriod
        self.rateLimitPause = rateLimitPause
        self.connectBackoff = connectBackoff
        self.breakerThreshold = breakerThreshold
        self.breakerCooldown = breakerCooldown
    }
}
