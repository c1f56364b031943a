import ArgumentParser
import CampaignKit
import Foundation

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the campaigns in a database with their progress."
    )

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try CampaignStore(path: database.db, mustExist: true)
        print(CampaignListText.render(try CampaignProgress.all(in: store)))
    }
}
