import Foundation

/// An output the user named that would replace a file it must not: the database, or an input.
public enum OutputPathError: Error, Equatable, CustomStringConvertible {
    case wouldReplace(output: String, what: String)

    public var description: String {
        switch self {
        case .wouldReplace(let output, let what):
            return "refusing to write \(output): it is \(what); choose another path for the output"
        }
    }
}

/// The files `campaign` writes for the user (results CSV, HTML report, rejects CSV): checked against
/// what they must never replace, and written through a temporary file created exclusively beside them.
public enum OutputFile {
    /// The files beside a database that SQLite or `campaign run` keep for it.
    static let databaseCompanions = ["", "-wal", "-shm", "-journal", ".lock"]

    /// Throws when `output` is the database at `database` (or its `-wal`, `-shm`, `-journal`, `.lock`),
    /// or one of `inputs`, however either is named: the same device and inode (a hard link, a symlink,
    /// `sub/../x`), or, for a file that does not exist yet, the same name in the same real folder.
    /// Writing a CSV over the database once replaced a campaign with text, exit 0.
    public static func check(
        _ output: String, database: String?, inputs: [(path: String, what: String)] = []
    ) throws(OutputPathError) {
        var forbidden: [(path: String, what: String)] = []
        if let database, database != ":memory:" {
            var bases = [database]
            if let real = realPath(database), real != database { bases.append(real) }
            for base in bases {
                for suffix in databaseCompanions {
                    let what = suffix.isEmpty ? "the campaign database" : "the campaign database's \(suffix) file"
                    forbidden.append((base + suffix, what))
                }
            }
        }
        forbidden += inputs.map { ($0.path, $0.what) }
        let outputIDs = [identity(output, follow: true), identity(output, follow: false)].compactMap { $0 }
        let outputName = canonicalName(output)
        for (path, what) in forbidden {
            if let id = identity(path, follow: true), outputIDs.contains(id) {
                throw .wouldReplace(output: output, what: what)
            }
            if let name = canonicalName(path), name == outputName {
                throw .wouldReplace(output: output, what: what)
            }
        }
    }

    struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
    }

    static func identity(_ path: String, follow: Bool) -> Identity? {
        var info = stat()
        guard (follow ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The real folder (links resolved) joined with the last component, for a file that may not exist.
    static func canonicalName(_ path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        guard name != ".." && name != "." else { return realPath(path) }
        guard let folder = realPath(url.deletingLastPathComponent().path) else { return nil }
        return folder + "/" + name
    }

    /// Creates `<path>.partial-XXXXXX` beside `path` with `O_EXCL` (never opening an existing file or
    /// following a link someone left there) and returns its descriptor and name.
    static func createTemporary(beside path: String) throws(ReportError) -> (fd: Int32, path: String) {
        var template = Array((path + ".partial-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw .cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        // mkstemp makes the file 0600; an output is as readable as any file the user writes.
        let mask = umask(0)
        umask(mask)
        fchmod(fd, 0o666 & ~mask)
        return (fd, template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    }

    /// Moves a finished temporary file onto `path`: `rename` replaces a link at `path`, never writes through it.
    static func commit(_ temporary: String, to path: String) throws(ReportError) {
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .cannotWrite(path: path, reason: reason)
        }
    }
}
