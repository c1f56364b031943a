import Foundation

/// The summary as a person reads it in a terminal: counts first, then what needs doing.
public enum SummaryText {
    /// Renders `summary`; `database` is named in the commands it suggests so they can be pasted as they are.
    public static func render(_ summary: CampaignSummary, database: String? = nil, now: Date = Date()) -> String {
        var lines: [String] = []
        let dbFlag = database.map { " --db \(shellQuoted($0))" } ?? ""
        let campaignFlag = " --campaign \(shellQuoted(summary.campaign))"
        lines.append("campaign '\(summary.campaign)': \(summary.jobCount) job\(summary.jobCount == 1 ? "" : "s")")
        lines.append("")
        lines.append("by status")
        for status in CampaignSummary.statuses {
            let count = summary.byStatus[status] ?? 0
            if count > 0 || ["queued", "completed", "failed", "unknown"].contains(status) {
                lines.append(row(status, count, of: summary.jobCount))
            }
        }
        for (status, count) in summary.byStatus.sorted(by: { $0.key < $1.key })
        where !CampaignSummary.statuses.contains(status) {
            lines.append(row(status, count, of: summary.jobCount))
        }
        lines.append("")
        if summary.byOutcome.isEmpty {
            lines.append("by outcome: no call has ended yet")
        } else {
            let reached = summary.byOutcome.values.reduce(0, +)
            lines.append("by outcome (last call of each contact)")
            for (outcome, count) in summary.byOutcome.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
                lines.append(row(outcome, count, of: reached))
            }
        }
        lines.append("")
        if let rate = summary.answerRate {
            lines.append("answer rate      \(percent(rate)) of contacts with an outcome were answered by a person")
        }
        let states = summary.attempts.byState
        var attemptLine = "attempts used    \(summary.attempts.used)"
        let detail = states.sorted { $0.key < $1.key }.filter { $0.value > 0 }.map { "\($0.value) \($0.key)" }
        if !detail.isEmpty { attemptLine += " (calls: \(detail.joined(separator: ", ")))" }
        lines.append(attemptLine)
        let scheduled = summary.scheduled
        if scheduled.queued == 0 && scheduled.inFlight == 0 {
            lines.append("scheduled        nothing left to call")
        } else {
            var text = "scheduled        \(scheduled.queued) queued"
            if scheduled.waiting > 0 {
                text += " (\(scheduled.waiting) waiting for a retry, a calling window or a per-number limit)"
            }
            if scheduled.inFlight > 0 { text += ", \(scheduled.inFlight) in flight" }
            if let next = scheduled.nextDueAt.flatMap(Timestamp.date) {
                text +=
                    next <= now ? "; the next call is due now" : "; the next call is due \(describe(next, now: now))"
            }
            lines.append(text)
            if scheduled.waitingForCap > 0, let until = scheduled.capAllowsAt.flatMap(Timestamp.date) {
                lines.append(
                    "                 \(scheduled.waitingForCap) held back by a per-number limit; the first may be "
                        + "called \(describe(until, now: now))")
            }
            if scheduled.queued > 0 {
                lines.append("                 campaign run\(dbFlag)\(campaignFlag) places them")
            }
        }
        if let runners = summary.runners, !runners.isEmpty {
            lines.append("runners          \(runners.count) working it now")
            lines += runners.map { "                 " + $0.line }
        }
        let cost = summary.estimatedCost
        lines.append(
            "estimated cost   ~\(cost.credits) credits (~$\(String(format: "%.2f", cost.usd))) for \(cost.calls) "
                + "ended call\(cost.calls == 1 ? "" : "s"), \(cost.startedMinutes) started minute"
                + "\(cost.startedMinutes == 1 ? "" : "s")")
        lines.append(
            "                 an ESTIMATE: the API reports no durations; minutes are measured from each attempt's "
                + "timestamps, so it errs high")

        if summary.unknown.total > 0 {
            lines.append("")
            lines.append(
                "NEEDS A DECISION: \(summary.unknown.total) unknown job\(summary.unknown.total == 1 ? "" : "s") "
                    + "(a call may have been placed; never redialled automatically)")
            lines += jobLines(summary.unknown)
            let ids = summary.unknown.jobs.prefix(5).map { String($0.id) }.joined(separator: " ")
            lines.append("  check whether each call reached the person (e.g. in Poku's dashboard), then:")
            lines.append(
                "    campaign resolve\(dbFlag)\(campaignFlag) --requeue \(ids)    call them again on the next run")
            lines.append("    campaign resolve\(dbFlag)\(campaignFlag) --done \(ids)       close them")
            lines.append("    (--all instead of ids settles every unknown job)")
        }
        if summary.review.total > 0 {
            lines.append("")
            lines.append("flagged for review: \(summary.review.total) job\(summary.review.total == 1 ? "" : "s")")
            lines += jobLines(summary.review)
        }
        return lines.joined(separator: "\n")
    }

    static func jobLines(_ list: CampaignSummary.ReviewList) -> [String] {
        var lines = list.jobs.map { job in
            "  job \(job.id)  \(job.phone)  \(job.status), \(job.attempts) attempt\(job.attempts == 1 ? "" : "s")"
                + (job.reason.map { ": \($0)" } ?? "")
        }
        if list.total > list.jobs.count {
            lines.append("  ... and \(list.total - list.jobs.count) more (campaign report --json --jobs lists all)")
        }
        return lines
    }

    static func row(_ label: String, _ count: Int, of total: Int) -> String {
        let share = total == 0 ? "" : "  " + percent(Double(count) / Double(total))
        return "  " + label.padding(toLength: 14, withPad: " ", startingAt: 0)
            + String(count).leftPadded(to: 8) + share.leftPadded(to: 7)
    }

    static func percent(_ value: Double) -> String { "\(Int((value * 100).rounded()))%" }

    /// "in 3m 20s (17:42:10 UTC)": relative first, because that is what decides whether to wait.
    static func describe(_ date: Date, now: Date) -> String {
        let seconds = Int(date.timeIntervalSince(now).rounded(.up))
        let relative: String
        switch seconds {
        case ..<60: relative = "\(seconds)s"
        case ..<3600: relative = "\(seconds / 60)m \(seconds % 60)s"
        case ..<86400: relative = "\(seconds / 3600)h \(seconds % 3600 / 60)m"
        default: relative = "\(seconds / 86400)d \(seconds % 86400 / 3600)h"
        }
        return "in \(relative) (\(Timestamp.string(date)))"
    }

    /// `text` as one shell word: bare when it is safe, single-quoted otherwise.
    static func shellQuoted(_ text: String) -> String {
        let safe = text.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
                || "-_./:=@+%".utf8.contains(byte)
        }
        return safe && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
