import Foundation
import Synchronization

/// The calling window's answer for the jobs of one claim, each in its recipient's own zone.
///
/// Never the machine's zone: a job is called in the zone its row names, else the campaign's (the import's
/// `--timezone`), else the run's `--timezone`. A job whose zone this host's zone database does not know, or
/// that has no zone at all, is not called: it waits (`unknownZoneRecheck`) and the run reports it, because
/// guessing a zone is how US contacts got called at 4 in the morning from a container set to UTC.
final class WindowAdmission: ClaimAdmission {
    let window: CallingWindow
    let runZone: TimeZone?
    let now: Date
    /// Answers already worked out in this claim, by zone name: every job of a zone gets the same one.
    private let answers = Mutex<[String: Date?]>([:])

    /// How long a job whose zone is unknown waits before a run looks at it again. The zone database of a
    /// host does not change during a run; the wait keeps such a job queued (not failed) for a run on a host
    /// that knows its zone.
    static let unknownZoneRecheck: TimeInterval = 3600

    init(window: CallingWindow, runZone: TimeZone?, now: Date) {
        self.window = window
        self.runZone = runZone
        self.now = now
    }

    /// The zone a job whose row and campaign name `name` is called in; `nil` when the name is unknown on this
    /// host, or when no zone is named and the run gave none.
    static func zone(named name: String?, runZone: TimeZone?) -> TimeZone? {
        guard let name else { return runZone }
        return TimeZone(identifier: name)
    }

    func until(_ job: DueJob) -> Date? { until(zoneNamed: job.timeZone) }

    /// `nil` when the job may start now, else the instant it waits for (its window's next opening, or a later
    /// look when its zone is unknown).
    func until(zoneNamed name: String?) -> Date? {
        let key = name ?? ""
        if let known = answers.withLock({ $0[key] }) { return known }
        let answer: Date?
        if let zone = Self.zone(named: name, runZone: runZone) {
            let allowed = window.nextAllowedStart(at: now, in: zone)
            answer = allowed > now ? allowed : nil
        } else {
            answer = now.addingTimeInterval(Self.unknownZoneRecheck)
        }
        answers.withLock { $0[key] = answer }
        return answer
    }
}
