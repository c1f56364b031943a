import Foundation
import Testing

@testable import CampaignKit

@Suite("CallingWindow")
struct CallingWindowTests {
    let newYork = TimeZone(identifier: "America/New_York")!
    let dayTime = CallingWindow(startMinute: 9 * 60, endMinute: 20 * 60)

    @Test(
        "next allowed start in New York, across both DST changes of 2026",
        arguments: [
            // Inside the window: now.
            ("2026-06-01T14:00:00.000Z", "2026-06-01T14:00:00.000Z"),
            // 20:00 EDT is closed: the next morning, 09:00 EDT.
            ("2026-06-02T00:00:00.000Z", "2026-06-02T13:00:00.000Z"),
            // Spring forward (2026-03-08): midnight EST, the window opens at 09:00 EDT = 13:00Z.
            ("2026-03-08T05:00:00.000Z", "2026-03-08T13:00:00.000Z"),
            // The evening before spring forward: next open is 09:00 EDT, 13:00Z (not 14:00Z).
            ("2026-03-08T02:00:00.000Z", "2026-03-08T13:00:00.000Z"),
            // Fall back (2026-11-01): 09:00 EST = 14:00Z.
            ("2026-11-01T04:30:00.000Z", "2026-11-01T14:00:00.000Z"),
            // 08:59 EST on fall-back day is still closed.
            ("2026-11-01T13:59:00.000Z", "2026-11-01T14:00:00.000Z"),
        ])
    func nextStart(now: String, expected: String) {
        #expect(dayTime.nextAllowedStart(at: Date(utc: now), in: newYork) == Date(utc: expected))
    }

    @Test("an opening time swallowed by the spring-forward gap moves to the end of the gap")
    func gap() {
        let early = CallingWindow(startMinute: 2 * 60 + 30, endMinute: 5 * 60)
        // 02:30 does not exist on 2026-03-08 in New York; 03:00 EDT is 07:00Z.
        #expect(
            early.nextAllowedStart(at: Date(utc: "2026-03-08T05:00:00.000Z"), in: newYork)
                == Date(utc: "2026-03-08T07:00:00.000Z"))
    }

    @Test("a window across midnight")
    func overnight() throws {
        let night = try CallingWindow(parsing: "22:00-02:00")
        let utc = TimeZone(identifier: "UTC")!
        #expect(
            night.nextAllowedStart(at: Date(utc: "2026-06-01T23:00:00.000Z"), in: utc)
                == Date(utc: "2026-06-01T23:00:00.000Z"))
        #expect(
            night.nextAllowedStart(at: Date(utc: "2026-06-01T01:00:00.000Z"), in: utc)
                == Date(utc: "2026-06-01T01:00:00.000Z"))
        #expect(
            night.nextAllowedStart(at: Date(utc: "2026-06-01T03:00:00.000Z"), in: utc)
                == Date(utc: "2026-06-01T22:00:00.000Z"))
    }

    @Test("parsing", arguments: [("09:00-20:00", 540, 1200), ("8:30-17:45", 510, 1065), ("00:00-24:00", 0, 1440)])
    func parse(text: String, start: Int, end: Int) throws {
        #expect(try CallingWindow(parsing: text) == CallingWindow(startMinute: start, endMinute: end))
    }

    @Test("bad windows are refused", arguments: ["9-20", "09:00", "25:00-26:00", "09:60-10:00", "10:00-10:00", "a-b"])
    func bad(text: String) {
        #expect(throws: CallingWindowError.self) { try CallingWindow(parsing: text) }
    }
}

@Suite("RatePacer")
struct RatePacerTests {
    @Test("rates", arguments: [("30/min", 30.0), ("1/s", 60.0), ("120/h", 2.0), ("10", 10.0)])
    func parse(text: String, perMinute: Double) throws {
        #expect(try RatePacer(parsing: text).callsPerMinute == perMinute)
    }

    @Test("bad rates", arguments: ["", "0/min", "x/min", "5/week", "-1/min"])
    func bad(text: String) {
        #expect(throws: RatePacerError.self) { try RatePacer(parsing: text) }
    }

    @Test("starts are spaced by 60/N seconds")
    func spacing() {
        let pacer = RatePacer(callsPerMinute: 12)
        let t0 = Date(utc: "2026-06-01T12:00:00.000Z")
        #expect(pacer.nextStart(after: nil, now: t0) == t0)
        #expect(pacer.nextStart(after: t0, now: t0 + 1) == t0 + 5)
        #expect(pacer.nextStart(after: t0, now: t0 + 9) == t0 + 9)
    }
}
