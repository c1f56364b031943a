/// Why an import could not run at all (as opposed to rows it rejected, which the report lists).
public enum ImportError: Error, CustomStringConvertible {
    case csv(CSVError)
    case template(TemplateError)
    case emptyFile(path: String)
    case duplicateColumn(path: String, name: String)
    case blankColumn(path: String, position: Int)
    case noPhoneColumn(path: String, available: [String])
    case unknownPhoneColumn(path: String, name: String, available: [String])
    case campaignColumnsDiffer(campaign: String, expected: [String], found: [String])
    case campaignPromptDiffers(campaign: String)
    case campaignDefaultDiffers(campaign: String, option: String, stored: String, given: String)
    case badOption(option: String, problem: String)
    case badSuppression(RowProblem)
    case cannotWrite(path: String, reason: String)
    case controlCharacter(path: String, CSVRecord.ControlCharacter)
    case badSuppressedNumber(position: Int, value: String, reason: String)

    public var description: String {
        switch self {
        case .csv(let error): return error.description
        case .template(let error): return error.description
        case .emptyFile(let path):
            return "\(path): the file is empty; it needs a header line (name,phone,...) and one line per contact"
        case .duplicateColumn(let path, let name):
            return "\(path):1: the header names the column '\(name)' twice; give each column its own name"
        case .blankColumn(let path, let position):
            return "\(path):1: column \(position) of the header has no name; name every column"
        case .noPhoneColumn(let path, let available):
            return "\(path):1: no phone column; name one of the columns phone, phone_number, number or to, "
                + "or pass --phone-column (the columns are: \(available.joined(separator: ", ")))"
        case .unknownPhoneColumn(let path, let name, let available):
            return "\(path):1: --phone-column \(name) is not a column of the file; "
                + "the columns are: \(available.joined(separator: ", "))"
        case .campaignColumnsDiffer(let campaign, let expected, let found):
            return "campaign '\(campaign)' was imported with the columns \(expected.joined(separator: ", ")) "
                + "but this file has \(found.joined(separator: ", ")); use the same columns in the same order, "
                + "or import into a new campaign with --name"
        case .campaignPromptDiffers(let campaign):
            return "campaign '\(campaign)' already has a different prompt; every contact of a campaign gets the "
                + "same prompt, so import into a new campaign with --name"
        case .campaignDefaultDiffers(let campaign, let option, let stored, let given):
            return "campaign '\(campaign)' has \(option) \(stored), set when it was created; it cannot become "
                + "\(given): leave the option out, or import into a new campaign with --name"
        case .badOption(let option, let problem):
            return "\(option): \(problem)"
        case .badSuppression(let problem):
            return "\(problem) (a suppression list must hold only valid numbers; fix or remove the line)"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .badSuppressedNumber(let position, let value, let reason):
            return "number \(position), '\(value)', is \(reason); nothing was added to the do-not-call list"
        case .controlCharacter(let path, let control):
            return "\(path):\(control.line): \(control.location); only tabs and line breaks may stand in the "
                + "text: remove it"
        }
    }
}
