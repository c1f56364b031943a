/// The numbers an import has seen, each with where it was first seen: an open-addressing hash table
/// from a number (E.164 as an integer, `ImportSession.key`) to a 64-bit place.
///
/// The import's writer thread asks it once for every row, so it is the one lookup on the serial
/// path: `Dictionary` needed a lookup and then an insert (two probes, each usually a cache miss in
/// a table of tens of megabytes); `firstPlace(of:orInsert:)` does both in one probe sequence.
struct SeenNumbers {
    /// Marks a free slot: keys have at most 15 decimal digits, far below it.
    private static let empty = UInt64.max
    private var keys: [UInt64]
    private var places: [UInt64]
    private var mask: Int
    private(set) var count = 0

    /// A table that holds `capacity` numbers without growing.
    init(capacity: Int = 0) {
        var slots = 16
        while slots < 2 * capacity { slots <<= 1 }
        keys = Array(repeating: Self.empty, count: slots)
        places = Array(repeating: 0, count: slots)
        mask = slots - 1
    }

    /// Where `key` was first seen; when it was not seen yet, records it at `place` and returns nil.
    mutating func firstPlace(of key: UInt64, orInsert place: UInt64) -> UInt64? {
        precondition(key != Self.empty)
        if 2 * (count + 1) > keys.count { grow() }
        var slot = Self.slot(key, mask)
        while true {
            let found = keys[slot]
            if found == key { return places[slot] }
            if found == Self.empty {
                keys[slot] = key
                places[slot] = place
                count += 1
                return nil
            }
            slot = (slot + 1) & mask
        }
    }

    /// Makes room for `capacity` numbers in all.
    mutating func reserveCapacity(_ capacity: Int) {
        while keys.count < 2 * capacity { grow() }
    }

    /// Fibonacci hashing: the top bits of key times 2^64 / golden ratio, which spreads numbers that
    /// differ only in their last digits over the whole table.
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldPlaces = places
        keys = Array(repeating: Self.empty, count: oldKeys.count * 2)
        places = Array(repeating: 0, count: oldKeys.count * 2)
        mask = keys.count - 1
        for index in oldKeys.indices where oldKeys[index] != Self.empty {
            var slot = Self.slot(oldKeys[index], mask)
            while keys[slot] != Self.empty { slot = (slot + 1) & mask }
            keys[slot] = oldKeys[index]
            places[slot] = oldPlaces[index]
        }
    }
}
