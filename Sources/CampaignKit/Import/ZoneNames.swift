import Foundation
import Synchronization

/// Zone names as the system's zone database spells them.
///
/// `TimeZone.knownTimeZoneIdentifiers` lists canonical zones only, so `UTC`, `Etc/GMT-12` or `US/Eastern`,
/// which the zone database resolves, are not in it. A name is accepted when the system lists it or the zone
/// database has a zone of that name, and `TimeZone` resolves it (so a run on this host can use it). Names
/// `TimeZone` resolves that are not zone-database names are refused: an abbreviation such as `PST` or a
/// custom offset such as `GMT+5` (which reads the other way round from the database's own `Etc/GMT+5`).
public enum ZoneNames {
    static let listed = Set(TimeZone.knownTimeZoneIdentifiers)
    /// Answers already given, so a million rows naming one zone cost one look-up.
    private static let answers = Mutex<[String: Bool]>([:])

    /// The zone `name` names, or `nil` when it is not a zone-database name this host resolves.
    public static func zone(named name: String) -> TimeZone? {
        isZoneName(name) ? TimeZone(identifier: name) : nil
    }

    /// True when `name` is a zone-database name this host resolves.
    static func isZoneName(_ name: String) -> Bool {
        if let known = answers.withLock({ $0[name] }) { return known }
        let accepted = (listed.contains(name) || inZoneDatabase(name)) && TimeZone(identifier: name) != nil
        // Bounded, so a file of a million different misspellings does not grow memory with it.
        answers.withLock { answers in if answers.count < 4096 { answers[name] = accepted } }
        return accepted
    }

    /// True when the zone database directory (`TZDIR`, else /usr/share/zoneinfo) has a zone file `name`.
    static func inZoneDatabase(_ name: String) -> Bool {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, name.count <= 64,
            parts.allSatisfy({ part in
                !part.isEmpty && part != "." && part != ".."
                    && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-+".contains($0)) }
            })
        else { return false }
        let folder =
            ProcessInfo.processInfo.environment["TZDIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "/usr/share/zoneinfo"
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isFolder)
            && !isFolder.boolValue
    }
}
