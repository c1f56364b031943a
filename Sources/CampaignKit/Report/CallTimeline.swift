import Foundation

/// Calls in flight over the campaign's life, in equal time buckets: what the HTML report draws.
///
/// Built by sweeping the calls' start and end edges in time order (the store sorts them), so it needs
/// memory for the buckets only, however many calls there were.
public struct CallTimeline: Sendable, Equatable {
    struct Bucket: Sendable, Equatable {
        /// Time-weighted mean of calls in flight over the bucket.
        var mean: Double
        /// Most calls in flight at any moment of the bucket.
        var peak: Int
    }

    var start: Date
    var end: Date
    var buckets: [Bucket]

    var peak: Int { buckets.map(\.peak).max() ?? 0 }

    /// Nil when no call was ever started.
    init?(store: some ReportStore, campaign: CampaignRecord, now: Date = Date(), bucketCount: Int = 120)
        async throws(StoreError)
    {
        let timeline: CallTimeline?
        do {
            timeline = try await store.readReport(campaign: campaign) {
                try await CallTimeline($0, now: now, bucketCount: bucketCount)
            }
        } catch {
            throw CampaignStore.storeError(error)
        }
        guard let timeline else { return nil }
        self = timeline
    }

    /// The timeline of `report`'s moment; nil when no call was ever started.
    public init?(_ report: some ReportReading, now: Date = Date(), bucketCount: Int = 120) async throws(StoreError) {
        guard let span = try await report.callSpan(now: now),
            let start = Timestamp.date(span.start), let end = Timestamp.date(span.end)
        else { return nil }
        let startTime = start.timeIntervalSince1970
        let length = max(end.timeIntervalSince(start), 1)
        let count = max(bucketCount, 1)
        let width = length / Double(count)
        var area = [Double](repeating: 0, count: count)
        var peaks = [Int](repeating: 0, count: count)
        var level = 0
        var last = startTime

        func bucket(_ time: Double) -> Int { min(max(Int((time - startTime) / width), 0), count - 1) }
        /// Adds the current level over [last, time] to the buckets that span overlaps.
        func cover(to time: Double) {
            guard time > last else { return }
            for index in bucket(last)...bucket(time) {
                let bucketStart = startTime + Double(index) * width
                let bucketEnd = index == count - 1 ? Double.infinity : bucketStart + width
                let overlap = min(time, bucketEnd) - max(last, bucketStart)
                guard overlap > 0 else { continue }
                area[index] += Double(level) * overlap
                peaks[index] = max(peaks[index], level)
            }
            last = time
        }

        try await report.forEachCallEdge(now: now) { text, delta in
            guard let time = Timestamp.date(text)?.timeIntervalSince1970 else { return }
            cover(to: time)
            level = max(level + delta, 0)
            let index = bucket(time)
            peaks[index] = max(peaks[index], level)
        }
        self.start = start
        self.end = start.addingTimeInterval(length)
        buckets = (0..<count).map { Bucket(mean: area[$0] / width, peak: peaks[$0]) }
    }
}
