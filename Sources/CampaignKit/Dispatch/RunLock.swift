import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Keeps a second `campaign run` off a database another run is working.
///
/// An exclusive `flock` on `<db>.lock`: the kernel releases it when the process dies, however it dies,
/// so a crash never leaves a stale lock behind. The file holds the holder's pid, host and start time so
/// the refusal can say who holds it.
public final class RunLock: Sendable {
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Takes the lock for the database at `databasePath`, or throws naming the run that holds it.
    public static func acquire(databasePath: String, now: Date = Date()) throws(RunLockError) -> RunLock {
        let path = databasePath + ".lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            var buffer = [UInt8](repeating: 0, count: 512)
            let count = pread(descriptor, &buffer, buffer.count, 0)
            close(descriptor)
            if reason == EWOULDBLOCK {
                let holder = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                throw .held(path: path, holder: holder.isEmpty ? "an unknown process" : holder)
            }
            throw .cannotOpen(path: path, reason: String(cString: strerror(reason)))
        }
        let host = ProcessInfo.processInfo.hostName
        let text = "pid \(getpid()) on \(host), started \(Timestamp.string(now))\n"
        ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return RunLock(path: path, descriptor: descriptor)
    }

    deinit {
        // Closing the descriptor releases the flock; the file stays, harmless, for the next run.
        ftruncate(descriptor, 0)
        close(descriptor)
    }
}

/// Why a run could not take the database.
public enum RunLockError: Error, Sendable, Equatable, CustomStringConvertible {
    case held(path: String, holder: String)
    case cannotOpen(path: String, reason: String)

    public var description: String {
        switch self {
        case .held(let path, let holder):
            return "another campaign run is working this database (\(holder); lock \(path)); "
                + "wait for it to finish or stop it with Ctrl-C"
        case .cannotOpen(let path, let reason):
            return "cannot create the run lock \(path): \(reason)"
        }
    }
}
