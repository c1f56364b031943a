import Foundation
import NIOCore

/// An import in progress on PostgreSQL, inside the one transaction `PostgresStore.importContacts` holds.
///
/// Duplicates are found in memory exactly as `ImportSession` finds them (`SeenNumbers`, filled with the campaign's
/// jobs at the start), and the accepted jobs go to the server as `COPY jobs FROM STDIN` data in text format, one
/// chunk a batch, through `PostgresImportChannel`: this object lives on the import's own thread, never on a
/// Swift-concurrency one, and only the channel crosses to the connection's task.
public final class PostgresImportSession: ImportWriting {
    public let campaign: CampaignRecord
    public let importID: Int64
    let channel: PostgresImportChannel
    private let now: String
    private var seen: SeenNumbers
    private let sourceFiles: [Int64: String]
    private var prefetched: UInt64 = 0
    /// Jobs of the current batch that `claim` accepted and `write` has yet to send.
    private var pending: [Int] = []
    /// "campaign_id\timport_id\t", the same for every row.
    private let rowStart: [UInt8]
    /// "\tqueued\tcreated_at\tupdated_at\n" and the same for a suppressed job.
    private let queuedEnd: [UInt8]
    private let suppressedEnd: [UInt8]

    /// The columns the COPY fills, in the order of a row's fields.
    static let copyColumns = [
        "campaign_id", "import_id", "source_line", "row_csv", "phone_e164", "prompt", "language", "voice",
        "from_number", "transfer_to", "timezone", "status", "created_at", "updated_at",
    ]

    init(
        campaign: CampaignRecord, importID: Int64, now: String, seen: SeenNumbers, sourceFiles: [Int64: String],
        channel: PostgresImportChannel
    ) {
        self.campaign = campaign
        self.importID = importID
        self.now = now
        self.seen = seen
        self.sourceFiles = sourceFiles
        self.channel = channel
        rowStart = Array("\(campaign.id)\t\(importID)\t".utf8)
        queuedEnd = Array("\tqueued\t\(now)\t\(now)\n".utf8)
        suppressedEnd = Array("\tsuppressed\t\(now)\t\(now)\n".utf8)
        pending.reserveCapacity(2048)
    }

    public func prefetch(_ jobs: PackedJobs) {
        prefetched &+= seen.prefetch(jobs.headers.lazy.map(\.key))
    }

    public func claim(_ jobs: PackedJobs, _ index: Int) throws -> ExistingJob? {
        let header = jobs.headers[index]
        let place = ImportSession.place(importID: importID, line: header.line)
        if let first = seen.firstPlace(of: header.key, orInsert: place) {
            let firstImport = Int64(first >> 32)
            return ExistingJob(
                importID: firstImport, line: Int(first & 0xFFFF_FFFF),
                sourceFile: sourceFiles[firstImport] ?? "an earlier import")
        }
        pending.append(index)
        return nil
    }

    /// Sends, in file order, the jobs of `jobs` that `claim` accepted, as one chunk of COPY data. Waits while the
    /// connection is `PostgresImportChannel.chunksInFlight` chunks behind.
    public func write(_ jobs: PackedJobs) throws {
        guard !pending.isEmpty else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        var data = ByteBufferAllocator().buffer(capacity: jobs.bytes.count + pending.count * 96)
        jobs.bytes.withUnsafeBufferPointer { bytes in
            for index in pending {
                let header = jobs.headers[index]
                data.writeBytes(rowStart)
                data.writeString(String(header.line))
                for field in PackedJobs.Field.allCases {
                    data.writeInteger(UInt8(ascii: "\t"))
                    guard let range = jobs.range(index, field) else {
                        data.writeStaticString("\\N")
                        continue
                    }
                    Self.writeEscaped(UnsafeBufferPointer(rebasing: bytes[range]), to: &data)
                }
                data.writeBytes(header.suppressed ? suppressedEnd : queuedEnd)
            }
        }
        try channel.send(data)
    }

    /// COPY's text format: a backslash, tab, newline or carriage return in a value is written as its backslash
    /// escape (anything else is taken as it is); the runs between them are copied whole.
    static func writeEscaped(_ text: UnsafeBufferPointer<UInt8>, to data: inout ByteBuffer) {
        var runStart = 0
        for (offset, byte) in text.enumerated() {
            let escape: UInt8
            switch byte {
            case UInt8(ascii: "\\"): escape = UInt8(ascii: "\\")
            case UInt8(ascii: "\t"): escape = UInt8(ascii: "t")
            case UInt8(ascii: "\n"): escape = UInt8(ascii: "n")
            case UInt8(ascii: "\r"): escape = UInt8(ascii: "r")
            default: continue
            }
            data.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(text)[runStart..<offset]))
            data.writeInteger(UInt8(ascii: "\\"))
            data.writeInteger(escape)
            runStart = offset + 1
        }
        data.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(text)[runStart...]))
    }

    public func suppress(_ lists: [(source: String, numbers: [String])]) throws -> SuppressionResult {
        let entries = lists.map { SuppressionList.Entries(source: $0.source, numbers: $0.numbers) }
        let now = self.now
        return try channel.call { sql throws(PostgresStoreError) in
            try await PostgresStore.addSuppressed(sql, entries, now: now)
        }
    }

    public func suppressedNumbers() throws -> Set<String> {
        try channel.call { sql throws(PostgresStoreError) in
            Set(try await sql.values("SELECT phone_e164 FROM suppressed", as: String.self))
        }
    }

    public func finish(rowsRead: Int, queued: Int, duplicates: Int, suppressed: Int, rejected: Int) throws {
        seen = SeenNumbers()
        let importID = self.importID
        let counts = [rowsRead, queued, duplicates, suppressed, rejected].map(Int64.init)
        try channel.call { sql throws(PostgresStoreError) in
            try await sql.execute(
                """
                UPDATE imports SET rows_read = \(counts[0]), queued = \(counts[1]), duplicates = \(counts[2]),
                    suppressed = \(counts[3]), rejected = \(counts[4])
                WHERE id = \(importID)
                """)
        }
    }
}
