import CampaignKit
import Foundation
import Synchronization

/// Shows a run's events: one updating line on a terminal, plain log lines otherwise.
final class ProgressPrinter: Sendable {
    let interactive: Bool
    private let state = Mutex(State())

    private struct State {
        var lineShown = false
        var lastProgress: DispatchProgress?
        var lastPlainProgress = Date.distantPast
    }

    init(interactive: Bool) { self.interactive = interactive }

    func show(_ event: DispatchEvent) {
        switch event {
        case .progress(let progress):
            state.withLock { state in
                state.lastProgress = progress
                if interactive {
                    write("\r\u{1B}[2K" + Self.line(progress))
                    state.lineShown = true
                } else if Date().timeIntervalSince(state.lastPlainProgress) >= 10 {
                    state.lastPlainProgress = Date()
                    write(Self.line(progress) + "\n")
                }
            }
        case .placed(let jobID, let phone, let attempt):
            if !interactive { note("job \(jobID) \(phone): calling (attempt \(attempt))") }
        case .ended(let jobID, let phone, let outcome, let disposition):
            if !interactive { note("job \(jobID) \(phone): \(outcome), \(Self.text(disposition))") }
        case .staleWrite, .notRecorded:
            // On stderr as well as in the log: an interaction id that is nowhere else must reach the user.
            if let text = Self.text(event) {
                note(text)
                printError(text)
            }
        default:
            if let text = Self.text(event) { note(text) }
        }
    }

    /// A line of its own, above the progress line on a terminal.
    func note(_ text: String) {
        state.withLock { state in
            if interactive && state.lineShown {
                write("\r\u{1B}[2K" + text + "\n")
                if let progress = state.lastProgress { write(Self.line(progress)) }
            } else {
                write(text + "\n")
            }
        }
    }

    func finishLine() {
        state.withLock { state in
            if interactive && state.lineShown { write("\n") }
            state.lineShown = false
        }
    }

    private func write(_ text: String) {
        // `try?`: a closed pipe (`campaign demo | head`) must not crash a run whose state is all on disk.
        try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
    }

    static func line(_ progress: DispatchProgress) -> String {
        let counts = progress.counts
        var parts = [
            "done \(counts.finished)/\(counts.total)", "in flight \(progress.inFlight)", "queued \(counts.queued)",
            "failed \(counts.failed)", "unknown \(counts.unknown)",
        ]
        if let rate = progress.callsPerMinute { parts.append(String(format: "%.1f calls/min", rate)) }
        if let eta = progress.estimatedEnd { parts.append("ETA \(clockTime(eta))") }
        return parts.joined(separator: " · ")
    }

    static func text(_ disposition: EndDisposition) -> String {
        switch disposition {
        case .completed: return "done"
        case .retry(let at): return "retry at \(clockTime(at))"
        case .failed(let reason): return "failed: \(reason)"
        }
    }

    static func text(_ event: DispatchEvent) -> String? {
        switch event {
        case .recovered(let recovery):
            var parts: [String] = []
            if !recovery.unknownJobIDs.isEmpty {
                parts.append(
                    "\(recovery.unknownJobIDs.count) job(s) were mid-call when the last run stopped and are now "
                        + "unknown (never redialled automatically; see campaign report, then campaign resolve)")
            }
            if !recovery.inProgress.isEmpty {
                parts.append("following \(recovery.inProgress.count) call(s) placed by the last run")
            }
            for (api, count) in recovery.placedElsewhere.sorted(by: { $0.key < $1.key }) {
                parts.append(
                    "\(count) call(s) in progress were placed through \(api), not this run's API: not followed here "
                        + "(never redialled); a run with --api-url \(api) follows them")
            }
            return parts.joined(separator: "; ")
        case .heldBack(let reason):
            return "waiting: \(reason)"
        case .adopted(let calls):
            return "following \(calls.count) call(s) placed by a runner that stopped (never redialled): jobs "
                + calls.prefix(10).map { String($0.jobID) }.joined(separator: ", ") + (calls.count > 10 ? ", …" : "")
        case .rejected(let jobID, let phone, let message):
            return "job \(jobID) \(phone): rejected by the API: \(message)"
        case .unknown(let jobID, let phone, let reason):
            return "job \(jobID) \(phone): UNKNOWN, a call may have been placed (\(reason)); not redialled"
        case .needsReview(let jobID, let phone, let reason):
            return "job \(jobID) \(phone): needs review: \(reason)"
        case .staleWrite(let jobID, let phone, let what, let interactionID):
            return "job \(jobID) \(phone): not recorded (\(what)): the job was changed by someone else meanwhile"
                + (interactionID.map { "; its call has interaction id \($0)" } ?? "")
        case .notRecorded(let jobID, let phone, let interactionID, let reason):
            return "job \(jobID) \(phone): a call WAS placed, interaction id \(interactionID), but the database "
                + "could not store it (\(reason)); the job will be unknown, never redialled: keep this id"
        case .contactPressure(let jobID, let phone, let until):
            return "job \(jobID) \(phone): called too often or too recently (in any campaign); waits until "
                + clockTime(until)
        case .outsideWindow(let jobID, let phone, let until):
            return "job \(jobID) \(phone): outside the calling window, waits until \(clockTime(until))"
        case .zoneUnknown(let jobID, let phone, let zone, let until):
            return "job \(jobID) \(phone): " + RunZoneCheck.zoneProblem(zone)
                + "; not called, it waits (looked at again at \(clockTime(until)))"
        case .paused(let until, let reason):
            return "pausing new calls until \(clockTime(until)): \(reason)"
        case .circuitOpened(let until, let failures):
            return "\(failures) failures in a row: no new calls until \(clockTime(until)), then one probe call"
        case .circuitClosed:
            return "the API answers again: placing calls"
        case .storeUnavailable(let reason, let retryAt):
            return "the database did not answer (\(reason)): no call starts until it does; calls in flight are "
                + "followed; trying again at \(clockTime(retryAt))"
        case .storeAnswers:
            return "the database answers again: placing calls"
        case .sleeping(let until):
            return "nothing due now; sleeping until \(clockTime(until)) (Ctrl-C is safe: run again later)"
        case .stopping:
            return nil
        case .placed, .ended, .progress:
            return nil
        }
    }

    static func clockTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = abs(date.timeIntervalSinceNow) < 20 * 3600 ? "HH:mm:ss" : "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }
}
