import Foundation

/// `campaign report --html`: one self-contained page (inline CSS and SVG, no script, no font, no URL
/// fetched), so it can be mailed or opened offline and shows the same thing everywhere.
public enum HTMLReport {
    /// Renders the page for `summary`, with `timeline` (nil when no call was ever started).
    public static func render(_ summary: CampaignSummary, timeline: CallTimeline?) -> String {
        var body = ""
        body += "<header><h1>Campaign \(escape(summary.campaign))</h1>"
        body += "<p class=\"muted\">Report generated \(escape(summary.generatedAt))</p></header>\n"
        body += tiles(summary)
        body += "<div class=\"grid\">\n"
        body += "<section><h2>Jobs by status</h2>\(statusTable(summary))</section>\n"
        body += "<section><h2>Outcomes</h2>\(outcomeChart(summary))</section>\n"
        body += "</div>\n"
        body += "<section><h2>Calls in flight over time</h2>\(timelineChart(timeline))</section>\n"
        body += reviewSection(summary)
        body += "<section><h2>Estimated cost</h2><p>\(costText(summary.estimatedCost))</p>"
        body += "<p class=\"muted\">\(escape(summary.estimatedCost.basis)). 1 credit = 2.5 US cents.</p></section>\n"
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(contentSecurityPolicy)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Campaign \(escape(summary.campaign))</title>
            <style>\(style)</style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
    }

    static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0 auto;
        max-width:1100px;padding:24px;color:#1d2430;background:#f6f7f9}
        h1{margin:0 0 4px;font-size:26px}h2{font-size:17px;margin:0 0 12px}
        section{background:#fff;border:1px solid #e1e4e8;border-radius:8px;padding:16px 20px;margin:16px 0}
        .muted{color:#6a737d;font-size:13px}
        .tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin:16px 0}
        .tile{background:#fff;border:1px solid #e1e4e8;border-radius:8px;padding:14px 16px}
        .tile .v{font-size:28px;font-weight:600}.tile .l{color:#6a737d;font-size:13px}
        .grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}.grid section{margin:0}
        table{border-collapse:collapse;width:100%;font-size:14px}
        td,th{text-align:left;padding:5px 8px;border-bottom:1px solid #eef0f2}td.n,th.n{text-align:right}
        .warn{border-color:#e5a50a;background:#fffbeb}code{background:#f0f2f4;padding:1px 4px;border-radius:3px}
        svg text{font-family:inherit}
        """

    static func tiles(_ summary: CampaignSummary) -> String {
        let done = (summary.byStatus["completed"] ?? 0) + (summary.byStatus["failed"] ?? 0)
        let items = [
            ("\(summary.jobCount)", "contacts"),
            ("\(done)", "finished (completed or failed)"),
            (summary.answerRate.map { "\(Int(($0 * 100).rounded()))%" } ?? "–", "answer rate"),
            ("~\(summary.estimatedCost.credits)", "credits (estimate)"),
        ]
        return "<div class=\"tiles\">"
            + items.map { "<div class=\"tile\"><div class=\"v\">\($0.0)</div><div class=\"l\">\($0.1)</div></div>" }
            .joined() + "</div>\n"
    }

    static func statusTable(_ summary: CampaignSummary) -> String {
        var rows = ""
        for status in CampaignSummary.statuses {
            let count = summary.byStatus[status] ?? 0
            rows += "<tr><td>\(escape(status))</td><td class=\"n\">\(count)</td></tr>"
        }
        let scheduled = summary.scheduled
        var note = "\(summary.attempts.used) attempts used."
        if scheduled.queued > 0 {
            note += " \(scheduled.queued) calls still scheduled"
            if let next = scheduled.nextDueAt { note += "; next due \(escape(next))" }
            note += "."
        }
        return "<table><tr><th>status</th><th class=\"n\">jobs</th></tr>\(rows)</table><p class=\"muted\">\(note)</p>"
    }

    static let outcomeColors = [
        "answered": "#2da44e", "voicemail": "#0969da", "busy": "#d4a72c", "no_answer": "#8c959f",
        "no_result": "#8250df", "resolved": "#1b7c83",
    ]

    static func outcomeChart(_ summary: CampaignSummary) -> String {
        let outcomes = summary.byOutcome.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        guard let largest = outcomes.first?.value, largest > 0 else {
            return "<p class=\"muted\">No call has ended yet.</p>"
        }
        let barHeight = 26
        let gap = 10
        let labelWidth = 110
        let chartWidth = 360
        let height = outcomes.count * (barHeight + gap)
        var svg = "<svg role=\"img\" aria-label=\"Jobs by outcome\" "
        svg += "width=\"100%\" viewBox=\"0 0 \(labelWidth + chartWidth + 60) \(height)\">"
        for (index, (outcome, count)) in outcomes.enumerated() {
            let y = index * (barHeight + gap)
            let width = max(2, chartWidth * count / largest)
            let color = outcomeColors[outcome] ?? "#57606a"
            svg += "<text x=\"\(labelWidth - 8)\" y=\"\(y + 18)\" text-anchor=\"end\" font-size=\"13\">"
            svg += "\(escape(outcome))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(width)\" height=\"\(barHeight)\" rx=\"3\" "
            svg += "fill=\"\(color)\"/>"
            svg += "<text x=\"\(labelWidth + width + 6)\" y=\"\(y + 18)\" font-size=\"13\">\(count)</text>"
        }
        return svg + "</svg>"
    }

    static func timelineChart(_ timeline: CallTimeline?) -> String {
        guard let timeline, !timeline.buckets.isEmpty else {
            return "<p class=\"muted\">No call has been placed yet.</p>"
        }
        let width = 1000.0
        let height = 220.0
        let left = 44.0
        let bottom = 28.0
        let plotWidth = width - left - 12
        let plotHeight = height - bottom - 10
        let top = Double(max(timeline.peak, 1))
        let step = plotWidth / Double(timeline.buckets.count)
        func y(_ value: Double) -> Double { 10 + plotHeight - plotHeight * value / top }
        func number(_ value: Double) -> String { String(format: "%.1f", value) }
        var svg = "<svg role=\"img\" aria-label=\"Calls in flight over time\" "
        svg += "width=\"100%\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        // Horizontal grid lines with their values.
        let ticks = Array(Set([0, Int(top) / 2, Int(top)])).sorted()
        for tick in ticks {
            let ty = y(Double(tick))
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(number(ty))\" y2=\"\(number(ty))\" "
            svg += "stroke=\"#e1e4e8\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(number(ty + 4))\" text-anchor=\"end\" font-size=\"12\">\(tick)</text>"
        }
        // Peak as a stepped line, mean as a filled area.
        var peak = ""
        var area = "M\(number(left)),\(number(y(0)))"
        for (index, bucket) in timeline.buckets.enumerated() {
            let x0 = left + Double(index) * step
            let x1 = x0 + step
            peak += "\(index == 0 ? "M" : "L")\(number(x0)),\(number(y(Double(bucket.peak))))"
            peak += "L\(number(x1)),\(number(y(Double(bucket.peak))))"
            area += "L\(number(x0)),\(number(y(bucket.mean)))L\(number(x1)),\(number(y(bucket.mean)))"
        }
        area += "L\(number(left + plotWidth)),\(number(y(0)))Z"
        svg += "<path d=\"\(area)\" fill=\"#0969da\" fill-opacity=\"0.35\" stroke=\"none\"/>"
        svg += "<path d=\"\(peak)\" fill=\"none\" stroke=\"#0969da\" stroke-width=\"1.5\"/>"
        svg += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(number(y(0)))\" y2=\"\(number(y(0)))\" "
        svg += "stroke=\"#57606a\"/>"
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let length = timeline.end.timeIntervalSince(timeline.start)
        formatter.dateFormat = length < 86400 ? "HH:mm:ss" : "MM-dd HH:mm"
        for fraction in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let x = left + plotWidth * fraction
            let anchor = fraction == 0 ? "start" : fraction == 1 ? "end" : "middle"
            let label = formatter.string(from: timeline.start.addingTimeInterval(length * fraction))
            svg += "<text x=\"\(number(x))\" y=\"\(Int(height) - 8)\" text-anchor=\"\(anchor)\" font-size=\"12\">"
            svg += "\(label)</text>"
        }
        svg += "</svg>"
        return svg + "<p class=\"muted\">Line: most calls in flight at once; shaded: the average, per "
            + "\(timeline.buckets.count)th of the campaign's span. Times in UTC. Peak \(timeline.peak) "
            + "call\(timeline.peak == 1 ? "" : "s") at once.</p>"
    }

    static func reviewSection(_ summary: CampaignSummary) -> String {
        var html = ""
        if summary.unknown.total > 0 {
            html += "<section class=\"warn\"><h2>Needs a decision: \(summary.unknown.total) unknown "
            html += "job\(summary.unknown.total == 1 ? "" : "s")</h2>"
            html += "<p>A call may have been placed; these are never redialled automatically. Check, then "
            html += "<code>campaign resolve --requeue &lt;ids&gt;</code> to call again or "
            html += "<code>campaign resolve --done &lt;ids&gt;</code> to close (<code>--all</code> for every one).</p>"
            html += jobTable(summary.unknown) + "</section>\n"
        }
        if summary.review.total > 0 {
            html +=
                "<section><h2>Flagged for review: \(summary.review.total)</h2>\(jobTable(summary.review))</section>\n"
        }
        return html
    }

    static func jobTable(_ list: CampaignSummary.ReviewList) -> String {
        var html = "<table><tr><th>job</th><th>phone</th><th>status</th><th class=\"n\">attempts</th>"
        html += "<th>reason</th></tr>"
        for job in list.jobs {
            html += "<tr><td>\(job.id)</td><td>\(escape(job.phone))</td><td>\(escape(job.status))</td>"
            html += "<td class=\"n\">\(job.attempts)</td><td>\(escape(job.reason ?? ""))</td></tr>"
        }
        html += "</table>"
        if list.total > list.jobs.count {
            html += "<p class=\"muted\">… and \(list.total - list.jobs.count) more "
            html += "(<code>campaign report --json --jobs</code> lists all).</p>"
        }
        return html
    }

    static func costText(_ cost: CreditEstimate) -> String {
        "About <b>\(cost.credits) credits</b> (~$\(String(format: "%.2f", cost.usd))) for \(cost.calls) ended "
            + "call\(cost.calls == 1 ? "" : "s"), \(cost.startedMinutes) started minute"
            + "\(cost.startedMinutes == 1 ? "" : "s"). <b>This is an estimate</b>, not a bill."
    }

    /// Text made safe for HTML element content and attribute values.
    ///
    /// Escaped byte by byte, not by `Character`: a grapheme cluster can hold a markup character after a
    /// prepend character (`"\u{0600}<"` is one `Character`, equal to neither `"<"` nor anything else), so
    /// comparing characters let a server-chosen `<img onerror>` through. The five bytes are ASCII and never
    /// part of another scalar's UTF-8, so every other byte is copied as it is.
    static func escape(_ text: String) -> String {
        let utf8 = text.utf8
        guard utf8.contains(where: isMarkup) else { return text }
        var result: [UInt8] = []
        result.reserveCapacity(utf8.count + 16)
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "&"): result += Array("&amp;".utf8)
            case UInt8(ascii: "<"): result += Array("&lt;".utf8)
            case UInt8(ascii: ">"): result += Array("&gt;".utf8)
            case UInt8(ascii: "\""): result += Array("&quot;".utf8)
            case UInt8(ascii: "'"): result += Array("&#39;".utf8)
            default: result.append(byte)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    @inline(__always)
    private static func isMarkup(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
            || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }

    /// The page runs nothing and fetches nothing: inline style and `data:` images only. A second line of
    /// defence should text ever get past `escape`.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
}

extension HTMLReport {
    /// Writes `html` to `path` through a temporary file, so a reader never sees half a page.
    public static func write(_ html: String, to path: String) throws(ReportError) {
        var file = try PartialFile(beside: path)
        file.output.append(html)
        try file.keep()
    }
}
