import CampaignKit

/// Runs `body` holding the run lock of the database at `path` (docs/ARCHITECTURE.md, "The never-twice
/// protocol", 7); the lock is released when `body` returns or throws.
func withRunLock<T>(databasePath path: String, _ body: (RunLock) async throws -> T) async throws -> T {
    let lock = try RunLock.acquire(databasePath: path)
    defer { withExtendedLifetime(lock) {} }
    return try await body(lock)
}

/// Runs `body` holding the run lock of `store`'s database, with this process recorded as its holder.
func withRunLock<T>(store: CampaignStore, _ body: () async throws -> T) async throws -> T {
    try await withRunLock(databasePath: store.path) { lock in
        try lock.recordHolder(in: store)
        return try await body()
    }
}
