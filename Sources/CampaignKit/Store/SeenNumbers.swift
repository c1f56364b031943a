/// The numbers an import has seen, each with where it was first seen: an open-addressing hash table
/// from a number (E.164 as an integer, `ImportSession.key`) to a 64-bit place.
///
/// The import's writer thread asks it once for every row, so it is the one lookup on the serial
/// path: `Dictionary` needed a lookup and then an insert (two probes, each usually a cache miss in
/// a table of tens of megabytes); `firstPlace(of:orInsert:)` does both in one probe sequence, a
/// key and its place share a cache line, and `prefetch` lets a batch's misses overlap.
struct SeenNumbers {
    /// Marks a free slot: keys have at most 15 decimal digits, far below it.
    private static let empty = UInt64.max
    /// Slot i is the key at 2i and its place at 2i + 1.
    private var slots: [UInt64]
    private var mask: Int
    private(set) var count = 0

    /// A table that holds `capacity` numbers without growing.
    init(capacity: Int = 0) {
        var size = 16
        while size < 2 * capacity { size <<= 1 }
        slots = Self.emptySlots(size)
        mask = size - 1
    }

    private static func emptySlots(_ size: Int) -> [UInt64] {
        var slots = Array(repeating: empty, count: 2 * size)
        for slot in 0..<size { slots[2 * slot + 1] = 0 }
        return slots
    }

    /// Reads the slots where `keys` would be, so that the cache misses of a whole batch overlap
    /// instead of each stalling `firstPlace` in turn. Returns a meaningless sum of what it read,
    /// for the caller to keep: reads whose result is unused may be compiled away.
    func prefetch(_ keys: some Sequence<UInt64>) -> UInt64 {
        var sum: UInt64 = 0
        slots.withUnsafeBufferPointer { slots in
            for key in keys { sum &+= slots[2 * Self.slot(key, mask)] }
        }
        return sum
    }

    /// Where `key` was first seen; when it was not seen yet, records it at `place` and returns nil.
    mutating func firstPlace(of key: UInt64, orInsert place: UInt64) -> UInt64? {
        precondition(key != Self.empty)
        if 2 * (count + 1) > mask + 1 { grow() }
        let mask = self.mask
        return slots.withUnsafeMutableBufferPointer { slots in
            var slot = Self.slot(key, mask)
            while true {
                let found = slots[2 * slot]
                if found == key { return slots[2 * slot + 1] }
                if found == Self.empty {
                    slots[2 * slot] = key
                    slots[2 * slot + 1] = place
                    count += 1
                    return nil
                }
                slot = (slot + 1) & mask
            }
        }
    }

    /// Makes room for `capacity` numbers in all.
    mutating func reserveCapacity(_ capacity: Int) {
        while mask + 1 < 2 * capacity { grow() }
    }

    /// Fibonacci hashing: the top bits of key times 2^64 / golden ratio, which spreads numbers that
    /// differ only in their last digits over the whole table.
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    private mutating func grow() {
        let old = slots
        let size = 2 * (mask + 1)
        slots = Self.emptySlots(size)
        mask = size - 1
        for index in stride(from: 0, to: old.count, by: 2) where old[index] != Self.empty {
            var slot = Self.slot(old[index], mask)
            while slots[2 * slot] != Self.empty { slot = (slot + 1) & mask }
            slots[2 * slot] = old[index]
            slots[2 * slot + 1] = old[index + 1]
        }
    }
}
