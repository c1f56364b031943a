import PhoneNumbers

/// A phone number normalised to E.164 by libphonenumber.
struct NormalizedPhone: Sendable, Equatable {
    var e164: String
    var countryCode: Int
}

/// Normalises phone numbers to E.164 with libphonenumber, reading numbers that carry no country
/// code as numbers of `region`.
struct PhoneNormalizer: Sendable {
    let region: String

    /// Country calling codes Poku places voice calls to (docs/poku-api.md, "Languages and destinations").
    static let supportedCountryCodes: Set<Int> = [1, 61, 55, 33, 49, 972, 39, 352, 47, 351, 34, 44]

    init(region: String) throws(PhoneRegionError) {
        let upper = region.uppercased()
        guard upper.utf8.count == 2, pn_is_known_region(upper) == 1 else { throw PhoneRegionError(region: region) }
        self.region = upper
    }

    func normalize(_ text: String) -> Result<NormalizedPhone, PhoneProblem> {
        call(text, pn_normalize)
    }

    private typealias Normalize = (
        UnsafePointer<CChar>?, Int, UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?,
        UnsafeMutablePointer<Int32>?
    ) -> pn_status

    private func call(_ text: String, _ function: Normalize) -> Result<NormalizedPhone, PhoneProblem> {
        var text = text
        if text.utf8.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { return .failure(.empty) }
        return text.withUTF8 { bytes in
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: 24) { out in
                var countryCode: Int32 = 0
                let status = bytes.withMemoryRebound(to: CChar.self) { chars in
                    function(chars.baseAddress, chars.count, region, out.baseAddress, &countryCode)
                }
                return Self.result(status, e164: out.baseAddress!, code: countryCode)
            }
        }
    }

    private static func result(_ status: pn_status, e164: UnsafePointer<CChar>, code: Int32)
        -> Result<NormalizedPhone, PhoneProblem>
    {
        switch status {
        case PN_OK:
            return .success(NormalizedPhone(e164: String(cString: e164), countryCode: Int(code)))
        case PN_INVALID_COUNTRY_CODE: return .failure(.unknownCountryCode)
        case PN_TOO_SHORT: return .failure(.tooShort)
        case PN_TOO_LONG: return .failure(.tooLong)
        case PN_INVALID_LENGTH: return .failure(.invalidLength)
        case PN_NOT_IN_USE: return .failure(.notInUse)
        default: return .failure(.notANumber)
        }
    }
}

extension PhoneNormalizer {
    /// libphonenumber's own answer without the fast paths of `normalize` (for tests that compare them).
    func referenceNormalize(_ text: String) -> Result<NormalizedPhone, PhoneProblem> {
        call(text, pn_normalize_reference)
    }
}
