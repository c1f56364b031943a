/// Why a phone number was refused.
public enum PhoneProblem: Error, Equatable, CustomStringConvertible {
    case empty
    case unknownCountryCode
    case notANumber
    case tooShort
    case tooLong
    case invalidLength
    case notInUse

    public var description: String {
        switch self {
        case .empty: return "empty; every contact needs a number"
        case .unknownCountryCode: return "unknown country calling code; write the number as +<country code><number>"
        case .notANumber: return "not a phone number"
        case .tooShort: return "too short to be a phone number"
        case .tooLong: return "too long to be a phone number"
        case .invalidLength: return "has a length no number in its country has"
        case .notInUse: return "not a valid number (no such area or range is in service)"
        }
    }
}

/// A `--region` that libphonenumber does not know.
public struct PhoneRegionError: Error, CustomStringConvertible {
    var region: String
    public var description: String {
        "unknown region '\(region)': give a two-letter ISO 3166 country code such as US, GB or DE"
    }
}
