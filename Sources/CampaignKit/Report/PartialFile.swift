import Foundation

/// A file the user asked for (results CSV, HTML report, rejects CSV), written under a temporary name beside
/// it (`OutputFile.createTemporary`) and renamed onto it only when complete: a reader never sees half of it,
/// and a write that fails leaves what was at `path` as it was.
struct PartialFile {
    let path: String
    private let temporary: String
    var output: ByteWriter

    init(beside path: String) throws(ReportError) {
        let (fd, temporary) = try OutputFile.createTemporary(beside: path)
        self.path = path
        self.temporary = temporary
        output = ByteWriter(fd: fd, path: path)
    }

    /// Writes what is buffered, closes the file and renames it onto `path`. A failure removes it.
    mutating func keep() throws(ReportError) {
        do {
            try output.flush()
        } catch {
            discard()
            throw error
        }
        guard close(output.fd) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .cannotWrite(path: path, reason: reason)
        }
        try OutputFile.commit(temporary, to: path)
    }

    /// Closes and removes the temporary file; `path` is left as it was.
    func discard() {
        close(output.fd)
        unlink(temporary)
    }
}
