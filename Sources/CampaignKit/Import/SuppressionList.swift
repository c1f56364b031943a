import Foundation

/// Reads do-not-call numbers: a file (a CSV with a phone column, or one number a line) or numbers
/// given on the command line. A list is all or nothing: one line that is not a valid number refuses it.
public struct SuppressionList {
    let phones: PhoneNormalizer

    /// For the numbers of `region` (the `--region` option): a region libphonenumber does not know is a bad option.
    public init(region: String) throws(ImportError) {
        do {
            self.init(phones: try PhoneNormalizer(region: region))
        } catch {
            throw ImportError.badOption(option: "--region", problem: error.description)
        }
    }

    init(phones: PhoneNormalizer) {
        self.phones = phones
    }

    /// The numbers of the file at `path`, in E.164.
    public func read(_ path: String) throws -> [String] {
        do {
            // A number is short: a longer record is a malformed file, not a list.
            let reader = try CSVReader(path: path, maxRecordBytes: 4096)
            guard let first = try reader.next() else { return [] }
            var column = 0
            var numbers: [String] = []
            if let named = PhoneColumn.named(in: first.fields) {
                column = named
            } else if first.fields.count == 1 {
                numbers.append(try number(first, column: 0, path: path))
            } else {
                throw ImportError.noPhoneColumn(path: path, available: first.fields)
            }
            while let record = try reader.next() {
                numbers.append(try number(record, column: column, path: path))
            }
            return numbers
        } catch let error as CSVError {
            throw ImportError.csv(error)
        }
    }

    /// `arguments` in E.164; the first that is not a valid number is refused, naming its position.
    public func normalize(arguments: [String]) throws -> [String] {
        try arguments.enumerated().map { index, value in
            switch phones.normalize(value) {
            case .success(let phone): return phone.e164
            case .failure(let reason):
                throw ImportError.badSuppressedNumber(position: index + 1, value: value, reason: "\(reason)")
            }
        }
    }

    private func number(_ record: CSVRecord, column: Int, path: String) throws -> String {
        if let control = record.controlCharacter { throw ImportError.controlCharacter(path: path, control) }
        let value = column < record.fields.count ? record.fields[column] : ""
        switch phones.normalize(value) {
        case .success(let phone): return phone.e164
        case .failure(let reason):
            throw ImportError.badSuppression(
                RowProblem(file: path, line: record.line, column: nil, message: "'\(value)' is \(reason)"))
        }
    }
}
