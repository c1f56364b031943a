/// Finding the phone column of a contacts file or a do-not-call list by its name.
enum PhoneColumn {
    /// The header names that mark the phone column, in order of preference.
    static let names = ["phone", "phone_number", "phone number", "number", "to"]

    /// The position of the phone column found by name in `header`, by `names` preference.
    static func named(in header: [String]) -> Int? {
        let lowered = header.map { $0.trimmingSpaces.lowercased() }
        return names.lazy.compactMap { lowered.firstIndex(of: $0) }.first
    }
}

/// The checks an import makes before it reads a row: the options, the header, and a campaign that exists.
extension ContactImporter {
    func validatedDefaults(_ given: CallOptions, phones: PhoneNormalizer) throws -> CallOptions {
        var result = CallOptions()
        func check(_ value: String?, _ column: CallOptions.Column, _ flag: String) throws -> String? {
            guard let value else { return nil }
            switch CallOptions.validate(column, value, phones: phones) {
            case .success(let valid): return valid
            case .failure(let problem): throw ImportError.badOption(option: flag, problem: problem.description)
            }
        }
        result.language = try check(given.language, .language, "--language")
        result.voice = try check(given.voice, .voice, "--voice")
        result.from = try check(given.from, .from, "--from")
        result.transferTo = try check(given.transferTo, .transferTo, "--transfer-to")
        result.timezone = try check(given.timezone, .timezone, "--timezone")
        return result
    }

    func checkHeader(_ header: [String], path: String) throws {
        var seen = Set<String>()
        for (index, name) in header.enumerated() {
            let key = name.trimmingSpaces.lowercased()
            if key.isEmpty { throw ImportError.blankColumn(path: path, position: index + 1) }
            if !seen.insert(key).inserted { throw ImportError.duplicateColumn(path: path, name: name) }
        }
    }

    func findPhoneColumn(_ header: [String], request: ImportRequest) throws -> Int {
        if let name = request.phoneColumn {
            let wanted = name.trimmingSpaces.lowercased()
            guard let index = header.firstIndex(where: { $0.trimmingSpaces.lowercased() == wanted }) else {
                throw ImportError.unknownPhoneColumn(path: request.contactsPath, name: name, available: header)
            }
            return index
        }
        guard let index = PhoneColumn.named(in: header) else {
            throw ImportError.noPhoneColumn(path: request.contactsPath, available: header)
        }
        return index
    }

    func checkCompatible(_ existing: CampaignRecord, with new: CampaignRecord, givenRegion: String?) throws {
        if existing.columns != new.columns {
            throw ImportError.campaignColumnsDiffer(
                campaign: existing.name, expected: existing.columns, found: new.columns)
        }
        if existing.template != new.template { throw ImportError.campaignPromptDiffers(campaign: existing.name) }
        let pairs: [(String, String?, String?)] = [
            ("--language", existing.defaults.language, new.defaults.language),
            ("--voice", existing.defaults.voice, new.defaults.voice),
            ("--from", existing.defaults.from, new.defaults.from),
            ("--transfer-to", existing.defaults.transferTo, new.defaults.transferTo),
            ("--timezone", existing.defaults.timezone, new.defaults.timezone),
            ("--region", existing.region, givenRegion),
        ]
        for (option, stored, given) in pairs {
            if let given, given != stored {
                throw ImportError.campaignDefaultDiffers(
                    campaign: existing.name, option: option, stored: stored ?? "unset", given: given)
            }
        }
    }
}
