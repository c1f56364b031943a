/// What a campaign's calls cost, estimated: Poku bills 5 credits per started minute, 1 credit = 2.5 US cents,
/// but reports no durations, so the minutes come from the attempts' own timestamps (see `CallMinutes`).
struct CreditEstimate: Sendable, Equatable, Codable {
    static let creditsPerStartedMinute = 5
    static let usdPerCredit = 0.025

    /// Ended calls the estimate counts.
    var calls: Int
    var startedMinutes: Int
    var credits: Int
    var usd: Double
    /// Always true: the figure is computed, not billed. Kept in the JSON so scripts cannot miss it.
    var isEstimate: Bool
    var basis: String

    init(_ minutes: CallMinutes) {
        calls = minutes.calls
        startedMinutes = minutes.startedMinutes
        credits = minutes.startedMinutes * Self.creditsPerStartedMinute
        usd = (Double(credits) * Self.usdPerCredit * 100).rounded() / 100
        isEstimate = true
        basis =
            "estimate: 5 credits per started minute of each ended call, minutes measured from the attempt's "
            + "start to when its end was seen (the API reports no durations), so it errs high"
    }
}
