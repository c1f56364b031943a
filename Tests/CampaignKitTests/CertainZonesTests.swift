import Foundation
import Testing

@testable import CampaignKit

@Suite("CertainZones")
struct CertainZonesTests {
    @Test(
        "a number gets its country's zone only when the country has one local time",
        arguments: [
            ("+33123456789", "Europe/Paris"), ("+81312345678", "Asia/Tokyo"),
            // Büsingen keeps Zurich's time, which is Berlin's: one local time.
            ("+4930123456", "Europe/Berlin"),
            ("+12015550123", nil), ("+34912345678", nil), ("+61212345678", nil), ("+74951234567", nil),
            ("+5511912345678", nil), ("+16135550123", nil),
        ] as [(String, String?)])
    func certainOnly(number: String, zone: String?) {
        #expect(CertainZones.shared.zone(forE164: number) == zone)
    }

    @Test("an invalid number, or no zone table, gives no zone")
    func nothingGuessed() {
        #expect(CertainZones.shared.zone(forE164: "+33") == nil)
        #expect(CertainZones(table: "/nonexistent/zone1970.tab").zone(forE164: "+33123456789") == nil)
    }

    @Test("zones agree only when their offsets agree now and at every coming change")
    func agreement() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(CertainZones.agree("Europe/Berlin", "Europe/Zurich", from: now))
        #expect(!CertainZones.agree("Europe/Madrid", "Atlantic/Canary", from: now))
        #expect(!CertainZones.agree("America/New_York", "America/Chicago", from: now))
        #expect(!CertainZones.agree("Europe/Berlin", "Unknown/Zone", from: now))
    }

    @Test("what decides a number's region: a code one region uses, NANP's area code, else the whole number")
    func regionKeys() {
        #expect(CertainZones.regionKey("+12015550123") == "+1201")
        #expect(CertainZones.regionKey("+33123456789") == "+33")
        #expect(CertainZones.regionKey("+81312345678") == "+81")
        #expect(CertainZones.regionKey("+447781123456") == nil, "+44 is also Guernsey's, Jersey's, the Isle of Man's")
        #expect(CertainZones.regionKey("+79161234567") == nil, "+7 is also Kazakhstan's")
        #expect(CertainZones.regionKey("+358401234567") == nil, "+358 is also the Åland Islands'")
    }
}
