import Foundation

/// What a run with these settings would do with the campaign's queued jobs, seen from `now`: how many it
/// could call at once, when each zone's window next opens, who waits for a retry or a per-number limit, and
/// who can never be called under these settings, with why. `campaign plan` prints it; it changes nothing.
public struct CampaignPlan: Sendable, Equatable, Codable {
    public struct Zone: Sendable, Equatable, Codable {
        public var zone: String
        public var jobs: Int
        /// When its window next opens; `nil`: open now.
        public var opensAt: String?
    }

    public struct Never: Sendable, Equatable, Codable {
        public var reason: String
        public var jobs: Int
    }

    public var campaign: String
    public var at: String
    public var queued: Int
    /// Queued jobs a run started now could call at once.
    public var callableNow: Int
    /// Waiting for a retry's time.
    public var waitingForRetry: Int
    /// Held back by `--max-calls-per-number` or `--min-gap`, and when the first may be called.
    public var heldByLimits: Int
    public var limitsAllowAt: String?
    /// The zones of the queued jobs that can be called, with when their window opens.
    public var zones: [Zone]
    /// Jobs that can never be called under these settings, by reason (suppressed ones included).
    public var never: [Never]

    /// Works out the plan from the database: one read, nothing written.
    public static func read(
        from store: some ReportStore, campaign: CampaignRecord, window: CallingWindow?, runZone: TimeZone?,
        pressure: ContactPressure?, now: Date = Date()
    ) async throws(StoreError) -> CampaignPlan {
        let since = pressure.map { now.addingTimeInterval(-$0.lookBack.seconds) }
        let inputs = try await store.planInputs(campaign: campaign, startsSince: since)
        return CampaignPlan(
            inputs: inputs, campaign: campaign, window: window, runZone: runZone, pressure: pressure, now: now)
    }

    /// The plan for `inputs`, read at `now`.
    init(
        inputs: PlanInputs, campaign: CampaignRecord, window: CallingWindow?, runZone: TimeZone?,
        pressure: ContactPressure?, now: Date
    ) {
        self.campaign = campaign.name
        at = Timestamp.string(now)
        queued = inputs.jobs.count
        callableNow = 0
        waitingForRetry = 0
        heldByLimits = 0
        var limitsAllow: Date?
        var zoneJobs: [String: Int] = [:]
        var zoneOpens: [String: Date] = [:]
        var never: [String: Int] = [:]
        // The run's own answers: the same zone rule and window as its claims (`WindowAdmission`), per zone once.
        let admission = window.map { WindowAdmission(window: $0, runZone: runZone, now: now) }
        for job in inputs.jobs {
            let name = job.zone ?? runZone?.identifier ?? "(none)"
            var opens: Date? = nil
            if let admission {
                guard WindowAdmission.zone(named: job.zone, runZone: runZone) != nil else {
                    let reason =
                        job.zone.map { "zone \($0) unknown to this host's zone database" }
                        ?? "no time zone (give the row a timezone column, or --timezone)"
                    never[reason, default: 0] += 1
                    continue
                }
                opens = admission.until(zoneNamed: job.zone)
            }
            zoneJobs[name, default: 0] += 1
            zoneOpens[name] = opens
            if let due = job.due, due > now {
                waitingForRetry += 1
                continue
            }
            if let pressure, let until = pressure.until(starts: inputs.starts[job.phone] ?? [], now: now) {
                heldByLimits += 1
                limitsAllow = min(limitsAllow ?? until, until)
                continue
            }
            if opens == nil { callableNow += 1 }
        }
        limitsAllowAt = limitsAllow.map(Timestamp.string)
        zones = zoneJobs.keys.sorted().map { name in
            Zone(zone: name, jobs: zoneJobs[name] ?? 0, opensAt: zoneOpens[name].map(Timestamp.string))
        }
        if inputs.suppressed > 0 { never["suppressed (do-not-call list)", default: 0] += inputs.suppressed }
        self.never = never.keys.sorted().map { Never(reason: $0, jobs: never[$0] ?? 0) }
    }
}
