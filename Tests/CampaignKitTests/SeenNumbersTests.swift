import Testing

@testable import CampaignKit

@Suite("the import's table of numbers seen")
struct SeenNumbersTests {
    @Test("the first place of a number is kept; later ones are answered with it")
    func firstPlaceWins() {
        var seen = SeenNumbers()
        #expect(seen.firstPlace(of: 14_155_552_671, orInsert: 2) == nil)
        #expect(seen.firstPlace(of: 14_155_552_671, orInsert: 9) == 2)
        #expect(seen.firstPlace(of: 0, orInsert: 3) == nil)
        #expect(seen.firstPlace(of: 0, orInsert: 4) == 3)
        #expect(seen.count == 2)
    }

    @Test("growing past its capacity keeps every number and its place", arguments: [0, 1000])
    func growKeepsEverything(capacity: Int) {
        var seen = SeenNumbers(capacity: capacity)
        // Numbers that differ only in their last digits, as a contacts file's do.
        let numbers = (0..<50_000).map { 14_155_550_000 + UInt64($0) * 7 }
        for (place, number) in numbers.enumerated() {
            #expect(seen.firstPlace(of: number, orInsert: UInt64(place)) == nil)
        }
        seen.reserveCapacity(200_000)
        for (place, number) in numbers.enumerated() {
            #expect(seen.firstPlace(of: number, orInsert: 0) == UInt64(place))
        }
        #expect(seen.count == numbers.count)
        #expect(seen.firstPlace(of: 14_155_550_001, orInsert: 1) == nil)
    }
}
