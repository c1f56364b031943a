import ArgumentParser
import CampaignKit
import Foundation

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Say what a run with these settings would do with the queued jobs now; change nothing.",
        discussion: """
            Give the settings you mean to run with (--window, --skip-dates, --timezone, --max-calls-per-number, \
            --min-gap): plan counts the jobs callable now, says per zone when its window next opens, and lists \
            the jobs that can never be called under these settings, with why.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The campaign (default: the only one in the database).")
    var campaign: String?

    @Option(help: "As for campaign run, e.g. 'Mon-Fri 09:00-20:00'.", transform: FlagValue.window)
    var window: CallingWindow?

    @Option(help: "As for campaign run: dates closed in each recipient's calendar.", transform: FlagValue.skipDates)
    var skipDates: Set<LocalDate>?

    @Option(
        help: "As for campaign run: the zone of jobs whose row and campaign name none.", transform: FlagValue.timeZone)
    var timezone: TimeZone?

    @Option(help: "As for campaign run, e.g. 2/24h.", transform: FlagValue.cap)
    var maxCallsPerNumber: ContactPressure.Cap?

    @Option(
        help: "As for campaign run, e.g. 4h.",
        transform: DurationArgument.parser("--min-gap", within: .seconds(60) ... .seconds(90 * 86_400)))
    var minGap: DurationArgument?

    @Flag(help: "Print the plan as JSON.")
    var json = false

    func run() async throws {
        let plan = try await CampaignDatabases.with(database.db) { store in
            try await CampaignPlan.read(
                from: store, campaign: try await store.resolveCampaign(campaign),
                window: CallingWindow.combining(window, skipDates: skipDates), runZone: timezone,
                pressure: ContactPressure.given(cap: maxCallsPerNumber, minGap: minGap?.value))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(plan), as: UTF8.self))
            return
        }
        print(PlanText.render(plan))
    }
}

/// The words `campaign plan` prints.
enum PlanText {
    static func render(_ plan: CampaignPlan) -> String {
        var lines = ["campaign '\(plan.campaign)': \(plan.queued) queued; \(plan.callableNow) callable now"]
        if plan.waitingForRetry > 0 { lines.append("  \(plan.waitingForRetry) waiting for a retry's time") }
        if plan.heldByLimits > 0, let at = plan.limitsAllowAt {
            lines.append("  \(plan.heldByLimits) held back by a per-number limit; the first may be called at \(at)")
        }
        for zone in plan.zones {
            let when = zone.opensAt.map { "window opens \($0)" } ?? "window open now"
            lines.append("  \(zone.zone): \(zone.jobs) job(s), \(when)")
        }
        if !plan.never.isEmpty { lines.append("never called under these settings:") }
        for never in plan.never { lines.append("  \(never.jobs) \(never.reason)") }
        return lines.joined(separator: "\n")
    }
}
