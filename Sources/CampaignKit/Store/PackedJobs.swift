/// A batch of validated jobs with all their texts in one buffer.
///
/// The worker thread that validated a batch packs it; the single writer thread binds straight from
/// the buffer and frees one allocation per batch, instead of a dozen strings a row that another
/// thread allocated (cross-thread frees are slow in glibc). The writer is the import's serial part.
public struct PackedJobs: Sendable {
    /// The texts of a job, in this order.
    enum Field: Int, CaseIterable, Sendable {
        case rowCSV, phoneE164, prompt, language, voice, from, transferTo, timezone
    }

    struct Header: Sendable {
        var line: Int
        /// The E.164 number as an integer (at most 15 digits), for duplicate detection.
        var key: UInt64
        var countryCode: Int
        var suppressed: Bool
        var zoneFromNumber = false
    }

    /// Starts with one byte so that every text, an empty one too, has an address.
    private(set) var bytes: [UInt8] = [0]
    /// For each job and field, the start and end offsets in `bytes`; a start of -1 is NULL.
    private(set) var bounds: [Int32] = []
    private(set) var headers: [Header] = []

    init() {}

    /// Appends a job; returns its index, or nil when its number is not E.164.
    mutating func append(_ job: NewJob, countryCode: Int) -> Int? {
        guard let key = ImportSession.key(job.phoneE164) else { return nil }
        // In `Field` order; one call per field rather than an array of them, which cost an
        // allocation per job.
        add(job.rowCSV)
        add(job.phoneE164)
        add(job.prompt)
        add(job.overrides.language)
        add(job.overrides.voice)
        add(job.overrides.from)
        add(job.overrides.transferTo)
        add(job.overrides.timezone)
        headers.append(
            Header(
                line: job.line, key: key, countryCode: countryCode, suppressed: job.suppressed,
                zoneFromNumber: job.zoneFromNumber))
        return headers.count - 1
    }

    private mutating func add(_ text: String?) {
        guard var text else {
            bounds.append(-1)
            bounds.append(-1)
            return
        }
        bounds.append(Int32(bytes.count))
        text.withUTF8 { bytes.append(contentsOf: $0) }
        bounds.append(Int32(bytes.count))
    }

    /// The byte range of one text of job `index`, or nil for NULL.
    func range(_ index: Int, _ field: Field) -> Range<Int>? {
        let slot = (index * Field.allCases.count + field.rawValue) * 2
        let start = bounds[slot]
        return start < 0 ? nil : Int(start)..<Int(bounds[slot + 1])
    }

    /// One text of job `index` as a string (for reports; the writer binds the bytes directly).
    func text(_ index: Int, _ field: Field) -> String? {
        range(index, field).map { String(decoding: bytes[$0], as: UTF8.self) }
    }
}
