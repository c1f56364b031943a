import Foundation

/// A buffered writer of CSV bytes to a file descriptor.
struct ByteWriter {
    let fd: Int32
    let path: String
    var buffer: [UInt8] = []
    static let capacity = 1 << 20

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        buffer.reserveCapacity(Self.capacity + (1 << 16))
    }

    mutating func append(_ text: String) { buffer.append(contentsOf: text.utf8) }

    @inline(__always)
    mutating func append(byte: UInt8) { buffer.append(byte) }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) { buffer.append(contentsOf: bytes) }

    mutating func appendCRLF() {
        buffer.append(13)
        buffer.append(10)
    }

    /// One field, quoted when it holds a comma, quote, CR or LF or starts or ends with a space (as
    /// `CSVWriter.field` does), with a `'` first when `prefix` and the value could run as a formula.
    mutating func appendField(_ value: UnsafeBufferPointer<UInt8>, prefix: Bool) {
        var needsQuotes = false
        for byte in value
        where byte == SpreadsheetSafety.comma || byte == SpreadsheetSafety.quote || byte == 10
            || byte == 13
        {
            needsQuotes = true
            break
        }
        if !needsQuotes, let first = value.first, let last = value.last, first == 32 || last == 32 {
            needsQuotes = true
        }
        let apostrophe = prefix && SpreadsheetSafety.needsPrefix(value)
        if !needsQuotes {
            if apostrophe { buffer.append(SpreadsheetSafety.apostrophe) }
            buffer.append(contentsOf: value)
            return
        }
        buffer.append(SpreadsheetSafety.quote)
        if apostrophe { buffer.append(SpreadsheetSafety.apostrophe) }
        for byte in value {
            if byte == SpreadsheetSafety.quote { buffer.append(SpreadsheetSafety.quote) }
            buffer.append(byte)
        }
        buffer.append(SpreadsheetSafety.quote)
    }

    mutating func flushIfFull() throws(ReportError) {
        if buffer.count >= Self.capacity { try flush() }
    }

    mutating func flush() throws(ReportError) {
        var offset = 0
        let failure: Int32? = buffer.withUnsafeBytes { raw in
            while offset < raw.count {
                let written = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        buffer.removeAll(keepingCapacity: true)
        if let failure { throw .cannotWrite(path: path, reason: String(cString: strerror(failure))) }
    }
}
