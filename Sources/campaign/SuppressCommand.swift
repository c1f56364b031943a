import ArgumentParser
import CampaignKit
import Foundation

struct SuppressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suppress",
        abstract: "Add numbers to the do-not-call list, or list it.",
        discussion: """
            campaign suppress +14155550123 "(212) 555-0147" --reason "asked on the phone"
            campaign suppress --file dnc.csv
            campaign suppress --list
            The list holds for every campaign in the database, now and in later imports. Queued jobs for \
            the numbers, in every campaign, become suppressed in the same transaction that stores them. \
            All or nothing: one number that is not valid stores none (exit 65). Creates the database when \
            there is none yet, so a do-not-call list can come before the first import.
            """
    )

    @Argument(help: "Numbers to add (E.164, or national numbers of --region).")
    var numbers: [String] = []

    @OptionGroup var database: DatabaseOptions

    @Option(help: "A do-not-call file: a CSV with a phone column, or one number a line; repeatable.")
    var file: [String] = []

    @Option(help: "Why the numbers are on the list (stored with each; default: the file's path, or 'command line').")
    var reason: String?

    @Option(help: "Region for numbers without a country code (ISO 3166, e.g. GB).")
    var region: String = "US"

    @Flag(help: "Print the do-not-call list: number, when it was added, and why.")
    var list = false

    func validate() throws {
        if list && !(numbers.isEmpty && file.isEmpty && reason == nil) {
            throw ValidationError("--list takes no numbers, --file or --reason")
        }
        if !list && numbers.isEmpty && file.isEmpty {
            throw ValidationError("give numbers to add, --file dnc.csv, or --list")
        }
        // The reason is stored and printed by --list: no control character (an escape sequence) in it.
        if let reason, let control = PromptTemplate.firstControlCharacter(in: reason) {
            throw ValidationError("--reason holds \(control.location); write it as plain text")
        }
    }

    func run() async throws {
        if list {
            let entries = try await CampaignDatabases.with(database.db) { try await $0.suppressedNumbers() }
            for entry in entries { print("\(entry.phoneE164)\t\(entry.addedAt)\t\(entry.source)") }
            printError("\(entries.count) number\(entries.count == 1 ? "" : "s") on the do-not-call list")
            return
        }
        // Every number is checked before the database is opened: nothing is stored, or created, for a bad one.
        let reader = try SuppressionList(region: region)
        var lists: [(source: String, numbers: [String])] = []
        if !numbers.isEmpty {
            lists.append((reason ?? "command line", try reader.normalize(arguments: numbers)))
        }
        for path in file { lists.append((reason ?? path, try reader.read(path))) }
        let result = try await CampaignDatabases.with(database.db, mustExist: false) {
            try await $0.addSuppressed(lists, now: Date())
        }
        func count(_ value: Int, _ noun: String) -> String { "\(value) \(noun)\(value == 1 ? "" : "s")" }
        print(
            "do-not-call list in \(database.shown): \(count(result.added, "number")) added, "
                + "\(result.alreadyListed) already listed; "
                + "\(count(result.jobsSuppressed, "queued job")) now suppressed, in every campaign")
    }
}
