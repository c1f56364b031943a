extension CSVReader {
    /// Splits one stored record (as `CSVRecord.raw` keeps it) into its fields.
    static func parseLine(_ text: String) -> [String] {
        var fields: [String] = []
        var text = text
        text.withUTF8 { bytes in
            forEachValue(bytes) { value in
                fields.append(String(decoding: value, as: UTF8.self))
                return true
            }
        }
        return fields
    }

    /// Calls `body` with each value of one stored record (as `CSVRecord.raw` keeps it), read by the rules
    /// `next()` reads the file with: a field is quoted only when it starts with a quote (a quote anywhere
    /// else is a character, as in `Screen 27"`), a doubled quote inside quotes is one quote, and text
    /// after a closing quote is part of the value. `body` returns false to stop.
    ///
    /// Everything that decides per field on a stored record (`parseLine`, the spreadsheet guard) goes
    /// through here, so it sees the fields the import saw; a second, looser splitter once took a stray
    /// quote for an opening one and hid the next field from the guard. A value without doubled quotes or
    /// trailing text is handed over in place, without a copy.
    static func forEachValue(
        _ record: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Bool
    ) {
        let count = record.count
        var scratch: [UInt8] = []
        var index = 0
        while true {
            var separator: Int
            var keepGoing: Bool
            if index < count && record[index] == quote {
                var scan = index + 1
                var doubled = false
                while scan < count {
                    if record[scan] == quote {
                        if scan + 1 < count && record[scan + 1] == quote {
                            doubled = true
                            scan += 2
                            continue
                        }
                        break
                    }
                    scan += 1
                }
                let close = min(scan, count)
                let after = min(close + 1, count)
                separator = after
                while separator < count && record[separator] != comma { separator += 1 }
                if !doubled && separator == after {
                    keepGoing = body(UnsafeBufferPointer(rebasing: record[(index + 1)..<close]))
                } else {
                    scratch.removeAll(keepingCapacity: true)
                    var read = index + 1
                    while read < close {
                        scratch.append(record[read])
                        read += record[read] == quote ? 2 : 1
                    }
                    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: record[after..<separator]))
                    keepGoing = scratch.withUnsafeBufferPointer(body)
                }
            } else {
                separator = index
                while separator < count && record[separator] != comma { separator += 1 }
                keepGoing = body(UnsafeBufferPointer(rebasing: record[index..<separator]))
            }
            if !keepGoing || separator >= count { return }
            index = separator + 1
        }
    }
}
