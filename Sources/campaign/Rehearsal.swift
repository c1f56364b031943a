import CampaignKit
import Foundation

/// The temporary copy a `--simulate` run works on, so a rehearsal never changes the campaign's database.
struct Rehearsal {
    let folder: URL
    let store: CampaignStore

    /// Runs `body` on a copy of `original` in a temporary folder, removed when `body` returns or throws.
    static func withCopy<T>(of original: CampaignStore, _ body: (CampaignStore) async throws -> T) async throws -> T {
        let rehearsal = try Rehearsal(of: original)
        defer { rehearsal.remove() }
        return try await body(rehearsal.store)
    }

    private init(of original: CampaignStore) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "campaign-rehearsal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        do {
            store = try original.copy(to: folder.appendingPathComponent("rehearsal.db").path)
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
    }

    private func remove() { try? FileManager.default.removeItem(at: folder) }
}
