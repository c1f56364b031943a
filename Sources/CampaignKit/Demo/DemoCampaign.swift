import ExampleFiles
import Foundation

/// The example campaign `campaign demo` runs: examples/dinner, carried in the binary (C23 `#embed`,
/// Sources/ExampleFiles) so the demo needs neither the source tree nor a network nor a key.
public enum DemoCampaign {
    public static let name = "dinner"

    /// examples/dinner/contacts.csv as built into the binary.
    static var contactsCSV: String { String(cString: campaign_demo_contacts_csv()) }

    /// examples/dinner/prompt.txt as built into the binary.
    static var prompt: String { String(cString: campaign_demo_prompt_txt()) }

    /// Writes the example files into `folder` and returns the import of them.
    public static func importRequest(in folder: URL) throws(ReportError) -> ImportRequest {
        let contacts = folder.appendingPathComponent("contacts.csv").path
        let promptPath = folder.appendingPathComponent("prompt.txt").path
        for (path, text) in [(contacts, contactsCSV), (promptPath, prompt)] {
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
                throw .cannotWrite(path: path, reason: "the folder is missing or not writable")
            }
        }
        return ImportRequest(
            contactsPath: contacts, promptPath: promptPath, campaignName: name, region: "US",
            defaults: CallOptions(timezone: "America/Los_Angeles"))
    }
}
