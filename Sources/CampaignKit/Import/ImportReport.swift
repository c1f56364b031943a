/// What an import did (or, in a dry run or a refused import, would have done).
public struct ImportReport: Sendable {
    public struct Preview: Sendable {
        public var line: Int
        public var phone: String
        public var prompt: String
    }

    public var campaign = ""
    public var createdCampaign = false
    public var committed = false
    public var rowsRead = 0
    public var queued = 0
    public var suppressed = 0
    public var duplicatesInFile = 0
    public var alreadyInCampaign = 0
    public var rejected = 0
    /// The first problems, in file order (all of them are in the rejects file).
    public var problems: [RowProblem] = []
    /// The first duplicate rows, in file order.
    public var duplicates: [RowProblem] = []
    public var previews: [Preview] = []
    /// Queued rows that named no zone and got their number's, its country having one local time.
    public var zonesFromNumbers = 0
    /// Queued rows by the zone they will be called in (the row's, else the campaign's); "" for none.
    public var queuedByZone: [String: Int] = [:]
    public var outsideSupportedDestinations = 0
    public var outsideSupportedExamples: [RowProblem] = []
    /// What the `--suppress` lists stored (nil without lists): saved on their own before the contacts
    /// were read, so they hold whatever becomes of the import; in a dry run, what they would store.
    public var suppression: SuppressionResult?
    /// True when `suppression` was committed (false in a dry run).
    public var suppressionSaved = false
    public var rejectsFile: String?
}
