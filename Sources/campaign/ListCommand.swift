import ArgumentParser
import CampaignKit
import Foundation

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the campaigns in a database with their progress."
    )

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let campaigns = try await CampaignDatabases.with(database.db) { try await $0.campaignProgress() }
        print(CampaignListText.render(campaigns))
    }
}
