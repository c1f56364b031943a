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
        guard FileManager.default.fileExists(atPath: database.db) else {
            printError("error: no database at \(database.db); campaign import creates one (or pass --db)")
            throw ExitStatus.failure
        }
        do {
            let store = try CampaignStore(path: database.db)
            print(CampaignListText.render(try CampaignProgress.all(in: store)))
        } catch {
            throw ExitStatus.report(error)
        }
    }
}
