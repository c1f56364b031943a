import Foundation
import Testing

@testable import PokuSimulator

@Suite("Simulator JSON")
struct SimulatorJSONTests {
    static var objects: [[String: Any]] {
        [
            ["interactionId": "abc-1", "status": "pending", "createdAt": "2026-11-24T16:20:00.000Z"],
            [
                "eventType": "call.conversation.ended",
                "payload": [
                    "summary": "She said \"yes\" \\ no; a tab\there, a line\nbreak, \u{01} and é, 日本, 🎉",
                    "recordingUrl": "https://recordings.sim.poku.invalid/x.mp3", "zeta": true, "alpha": false,
                    "count": 42, "nothing": NSNull(), "list": ["a", 1, ["nested": "b"]],
                ] as [String: Any],
            ],
            ["error": "bad \u{1F} control", "code": ""],
        ]
    }

    @Test("writes what JSONSerialization with sorted keys and unescaped slashes writes")
    func sameTextAsFoundation() throws {
        for object in Self.objects {
            let foundation = String(
                decoding: try JSONSerialization.data(
                    withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
                as: UTF8.self)
            #expect(SimulatorJSON.text(object) == foundation)
        }
    }

    @Test("fractional numbers read back as the same value")
    func doubles() throws {
        for value in [0.25, 0.4321987, 1.0, 12.5, 1e-7] {
            let text = SimulatorJSON.text(["duration": value])
            let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            #expect((parsed?["duration"] as? NSNumber)?.doubleValue == value, "\(text)")
        }
    }
}
