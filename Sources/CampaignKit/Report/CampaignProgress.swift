/// One campaign's progress, for `campaign list`.
public struct CampaignProgress: Sendable, Equatable {
    var name: String
    var createdAt: String?
    var counts: JobCounts
    /// PostgreSQL: the runners working it now.
    var runners: [LiveRunner] = []
}

/// The words `campaign list` prints: a table a person scans.
public enum CampaignListText {
    public static func render(_ campaigns: [CampaignProgress]) -> String {
        guard !campaigns.isEmpty else { return "no campaigns yet: campaign import contacts.csv --prompt prompt.txt" }
        let header = ["campaign", "jobs", "done", "queued", "in flight", "completed", "failed", "unknown", "created"]
        var rows = [header]
        for campaign in campaigns {
            let counts = campaign.counts
            let done = counts.total == 0 ? 0 : counts.finished * 100 / counts.total
            rows.append([
                campaign.name, String(counts.total), "\(done)%", String(counts.queued), String(counts.active),
                String(counts.completed), String(counts.failed), String(counts.unknown),
                String((campaign.createdAt ?? "").prefix(16)).replacingOccurrences(of: "T", with: " "),
            ])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        let table = rows.map { row in
            row.enumerated().map { index, cell in
                index == 0 || index == row.count - 1
                    ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                    : cell.leftPadded(to: widths[index])
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
        let runners = campaigns.filter { !$0.runners.isEmpty }.map { campaign in
            "\nrunners of \(campaign.name):" + campaign.runners.map { "\n  " + $0.line }.joined()
        }
        return table + runners.joined(separator: "\n")
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
