import GRDB

/// One job as the results CSV shows it.
public struct JobResult {
    /// The contact's row as read, one RFC 4180 record.
    public var rowCSV: String
    /// The result columns, in `ResultsExporter.resultColumns` order.
    public var values: [String?]
}

extension CampaignStore {
    /// The campaign called `name`, or the only campaign when `name` is nil.
    public func resolveCampaign(_ name: String?) throws(StoreError) -> CampaignRecord {
        let names = try campaignNames()
        if let name {
            guard let record = try campaign(named: name) else {
                throw .campaignNotFound(name: name, available: names)
            }
            return record
        }
        guard names.count == 1, let record = try campaign(named: names[0]) else {
            throw .campaignNotChosen(available: names)
        }
        return record
    }

    /// Calls `body` for every job of `campaign`, in import order, reading one row at a time.
    public func forEachResult(campaign: CampaignRecord, _ body: (JobResult) throws -> Void) throws(StoreError) {
        try read { db in
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT row_csv, phone_e164, status, outcome, attempts, interaction_id, summary, recording_url,
                        error, last_attempt_at, completed_at
                    FROM jobs WHERE campaign_id = ? ORDER BY id
                    """, arguments: [campaign.id])
            while let row = try cursor.next() {
                var values: [String?] = []
                values.reserveCapacity(10)
                for index in 1...10 {
                    let value: DatabaseValue = row[index]
                    switch value.storage {
                    case .null: values.append(nil)
                    case .int64(let number): values.append(String(number))
                    case .string(let text): values.append(text)
                    case .double(let number): values.append(String(number))
                    case .blob: values.append(nil)
                    }
                }
                try body(JobResult(rowCSV: row[0], values: values))
            }
        }
    }
}
