import Foundation

/// What the user asked `campaign import` to do.
public struct ImportRequest: Sendable {
    var contactsPath: String
    var promptPath: String
    var campaignName: String
    var phoneColumn: String?
    /// Region for numbers without a country code; nil: the campaign's own, or US for a new campaign.
    var region: String?
    var defaults: CallOptions
    var suppressPaths: [String]
    var skipInvalid: Bool
    public var dryRun: Bool
    /// Where the rejected and duplicate rows go; nil means `<contacts>.rejects.csv` beside the file.
    var rejectsPath: String?
    var previewCount: Int
    var maxListed: Int
    /// The longest CSV record accepted (bytes); a longer one stops the import with its line.
    var maxRecordBytes: Int

    public init(
        contactsPath: String, promptPath: String, campaignName: String, phoneColumn: String? = nil,
        region: String? = nil, defaults: CallOptions = CallOptions(), suppressPaths: [String] = [],
        skipInvalid: Bool = false, dryRun: Bool = false, rejectsPath: String? = nil, previewCount: Int = 3,
        maxListed: Int = 20, maxRecordBytes: Int = CSVReader.defaultMaxRecordBytes
    ) {
        self.contactsPath = contactsPath
        self.promptPath = promptPath
        self.campaignName = campaignName
        self.phoneColumn = phoneColumn
        self.region = region
        self.defaults = defaults
        self.suppressPaths = suppressPaths
        self.skipInvalid = skipInvalid
        self.dryRun = dryRun
        self.rejectsPath = rejectsPath
        self.previewCount = previewCount
        self.maxListed = maxListed
        self.maxRecordBytes = maxRecordBytes
    }

    /// The rejects file's path when none was given: `contacts.csv` -> `contacts.rejects.csv`.
    public var effectiveRejectsPath: String {
        if let rejectsPath { return rejectsPath }
        let url = URL(fileURLWithPath: contactsPath)
        let base = url.deletingPathExtension().lastPathComponent
        return url.deletingLastPathComponent().appendingPathComponent(base + ".rejects.csv").path
    }
}
