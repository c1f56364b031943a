import Foundation
import PhoneNumbers
import Synchronization

/// The time zone of a phone number, only when its country leaves no doubt: every zone the system's zone
/// database lists for the country (`zone1970.tab`) keeps the same local time from now on. France, Japan,
/// Germany (Berlin, and Büsingen on Zurich's time, which agree) get a zone; the US, Canada, Brazil, Australia,
/// Russia, Spain (the Canaries) do not, and then nothing is guessed.
final class CertainZones: Sendable {
    /// Country → its one zone, for the countries where that is certain.
    let zones: [String: String]

    static let shared = CertainZones(
        table: (ProcessInfo.processInfo.environment["TZDIR"] ?? "/usr/share/zoneinfo") + "/zone1970.tab")

    /// Reads `table` (zone1970.tab's format: countries, coordinates, zone); no table, no zones: nothing is guessed.
    init(table path: String, now: Date = Date()) {
        // Each country's zones, the ones the table lists it first for (its own) ahead of the others.
        var byCountry: [String: [String]] = [:]
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: "\t")
            guard fields.count >= 3 else { continue }
            for (index, country) in fields[0].split(separator: ",").enumerated() {
                if index == 0 {
                    byCountry[String(country), default: []].insert(String(fields[2]), at: 0)
                } else {
                    byCountry[String(country), default: []].append(String(fields[2]))
                }
            }
        }
        var zones: [String: String] = [:]
        for (country, names) in byCountry {
            guard let first = names.first, names.allSatisfy({ Self.agree($0, first, from: now) }) else { continue }
            guard TimeZone(identifier: first) != nil else { continue }
            zones[country] = first
        }
        self.zones = zones
    }

    /// The zone of an E.164 number, or `nil` when its country has several local times (or is unknown).
    ///
    /// A calling code one region uses (+33, +81) gives the region at once; a shared one is read from the number
    /// itself: NANP (+1) by its area code, which belongs to one region, the others (+7, +44, …) number by number.
    /// Answers are kept, so an import of 100,000 US numbers parses one number per area code.
    func zone(forE164 number: String) -> String? {
        let key = Self.regionKey(number)
        if let key, let known = answers.withLock({ $0[key] }) { return known }
        var region = [CChar](repeating: 0, count: 3)
        let answer: String? = pn_region_of_number(number, &region) == 1 ? zones[String(cString: region)] : nil
        if let key { answers.withLock { $0[key] = answer } }
        return answer
    }

    /// Answers already found, by the part of a number that decides its region.
    private let answers = Mutex<[String: String?]>([:])

    /// What decides a number's region: its calling code when one region uses it, `+1` and the area code for
    /// NANP; `nil` when only the whole number does. Valid numbers only reach here (the import checked them).
    static func regionKey(_ number: String) -> String? {
        let digits = number.utf8.dropFirst()
        if digits.first == UInt8(ascii: "1") { return digits.count >= 4 ? String(number.prefix(5)) : nil }
        for length in 1...3 where digits.count > length {
            guard let code = Int(String(decoding: digits.prefix(length), as: UTF8.self)) else { return nil }
            var region = [CChar](repeating: 0, count: 3)
            switch pn_regions_for_code(Int32(code), &region) {
            case 0: continue
            case 1: return "+\(code)"
            default: return nil
            }
        }
        return nil
    }

    /// Whether two zones show the same local time from `now` on: the same offset now and at each of the next
    /// ten years' clock changes of either.
    static func agree(_ a: String, _ b: String, from now: Date) -> Bool {
        guard a != b else { return true }
        guard let one = TimeZone(identifier: a), let two = TimeZone(identifier: b) else { return false }
        var instants = [now]
        for zone in [one, two] {
            var at = now
            while let next = zone.nextDaylightSavingTimeTransition(after: at), next < now + 10 * 365 * 86_400 {
                instants.append(next)
                at = next
            }
        }
        return instants.allSatisfy { one.secondsFromGMT(for: $0) == two.secondsFromGMT(for: $0) }
    }
}
