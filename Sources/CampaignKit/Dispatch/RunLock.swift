import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Keeps a second `campaign run` (or `resolve`) off a database another run is working.
///
/// An exclusive `flock` on the database file itself, not on a file named after the path: a symlink, a hard
/// link, a relative path or a bind mount all reach the same inode and so the same lock, where a `<path>.lock`
/// file gave each name its own lock and let two runs ring one person twice. The kernel releases the lock
/// when the process dies, however it dies, so a crash never leaves a stale lock behind. Nothing is created
/// or truncated: the file is the database, opened read-only. (`flock` locks are separate from the POSIX
/// record locks SQLite takes on the same file, so the two never interfere.) Who holds the lock is kept in the
/// database (`run_holder`), so a refusal can name the holder whatever path either run used.
public final class RunLock: Sendable {
    let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Takes the lock of the database at `databasePath`, or throws naming the run that holds it. Taken before
    /// the database is opened for work: SQLite itself must not be opened through a second name of a file that
    /// another process works (its `-wal` and `-shm` files are named after the path, not the file).
    public static func acquire(databasePath path: String) throws(RunLockError) -> RunLock {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw .noDatabase(path: path) }
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            defer { close(descriptor) }
            if reason == EWOULDBLOCK {
                let holder = CampaignStore.runHolder(path: path) ?? lockHolderPID(descriptor).map { "pid \($0)" }
                throw .held(path: path, holder: holder ?? "a process that has not said who it is yet")
            }
            throw .cannotOpen(path: path, reason: String(cString: strerror(reason)))
        }
        return RunLock(path: path, descriptor: descriptor)
    }

    /// The pid holding an flock on the file open at `descriptor`, from the kernel's lock table (Linux): the
    /// holder's own record can be out of reach through another name of the file (a hard link has its own
    /// `-wal`), the kernel's table never is.
    static func lockHolderPID(_ descriptor: Int32) -> Int32? {
        var info = stat()
        guard fstat(descriptor, &info) == 0,
            let table = try? String(contentsOfFile: "/proc/locks", encoding: .utf8)
        else { return nil }
        // glibc's major() and minor() are macros Swift cannot see.
        let dev = UInt64(info.st_dev)
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
        let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
        let device = String(format: "%02llx:%02llx:%llu", major, minor, UInt64(info.st_ino))
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
            guard fields.count >= 6, fields[1] == "FLOCK", fields[5] == device else { continue }
            return Int32(fields[4])
        }
        return nil
    }

    /// Says in the database who holds this lock, so that a refused run can name it.
    public func recordHolder(in store: CampaignStore, now: Date = Date()) throws(StoreError) {
        let holder = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName), started \(Timestamp.string(now))"
        try store.recordRunHolder(holder, now: now)
    }

    /// Takes the lock of `store`'s database and records the holder.
    static func acquire(store: CampaignStore, now: Date = Date()) throws -> RunLock {
        let lock = try acquire(databasePath: store.path)
        try lock.recordHolder(in: store, now: now)
        return lock
    }

    deinit {
        // Closing the descriptor releases the flock. The holder row stays; it is read only while the lock is held.
        close(descriptor)
    }
}

/// Why a run could not take the database.
public enum RunLockError: Error, Sendable, Equatable, CustomStringConvertible {
    case held(path: String, holder: String)
    case cannotOpen(path: String, reason: String)
    case noDatabase(path: String)

    public var description: String {
        switch self {
        case .held(let path, let holder):
            return "another campaign run is working this database (\(holder); \(path)); "
                + "wait for it to finish or stop it with Ctrl-C"
        case .cannotOpen(let path, let reason):
            return "cannot lock the database \(path): \(reason)"
        case .noDatabase(let path):
            return "no campaign database at \(path); campaign import creates one (or give --db)"
        }
    }
}
