/// One job's columns as the results export reads them: the text of each column as UTF-8 bytes, valid only
/// inside the call that receives the row. Columns: 0 `row_csv`, then `ResultsExporter.resultColumns` in order.
public protocol ResultRowBytes {
    /// The column's UTF-8 bytes, or nil when it is NULL.
    func withBytes<T>(_ column: Int, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) rethrows -> T
}

/// The results columns every `ResultRowBytes` has: `row_csv` and the ten of `ResultsExporter.resultColumns`.
enum ResultRowLayout {
    static let columnCount = 11
    /// The SELECT list, in order, that both databases read.
    static let columns = """
        row_csv, phone_e164, status, outcome, attempts, interaction_id, summary, recording_url, error,
            last_attempt_at, completed_at
        """
}
