import Foundation

/// One placed call: everything about it is fixed when it is placed, and it ends on its own
/// when `endsAt` passes, exactly as a real call keeps going after the API has answered.
struct SimulatedCall: Sendable {
    var interactionID: String
    var to: String
    var from: String
    var createdAt: Date
    /// `createdAt` as the status answers show it (ISO-8601 with milliseconds), formatted once, not per poll.
    var createdAtText: String
    var endsAt: ContinuousClock.Instant
    var duration: Duration
    var outcome: SimulatedOutcome
    var form: PokuSimulator.CompletionEventForm
    /// Scripted `status-404`: the status endpoint denies knowing this call.
    var statusNotFound: Bool

    var summary: String? {
        switch outcome {
        case .answered: "Spoke with the callee at \(to); they confirmed and thanked us for calling."
        case .voicemail: "The call reached voicemail; the voicemail message was left."
        case .busy: "The line was busy; the call could not be connected."
        case .noAnswer: nil
        case .optOut: "Spoke with the callee at \(to); they asked us to stop calling and to remove their number."
        }
    }

    var recordingURL: String? {
        switch outcome {
        case .answered, .voicemail, .optOut: "https://recordings.sim.poku.invalid/\(interactionID).mp3"
        case .busy, .noAnswer: nil
        }
    }

    func hasEnded(at now: ContinuousClock.Instant) -> Bool { now >= endsAt }

    /// The `completionEvent` object, in this call's form; `nil` when the call produced no result.
    func completionEvent() -> [String: Any]? {
        guard let summary else { return nil }
        var fields: [String: Any] = [
            "interactionId": interactionID, "summary": summary, "from": from, "to": to,
            "duration": Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18,
        ]
        switch form {
        case .wrapped, .mixed:
            if let recordingURL { fields["recordingUrl"] = recordingURL }
            return ["eventType": "call.conversation.ended", "payload": fields]
        case .bare:
            if let recordingURL { fields["call"] = ["recordingUrl": recordingURL] }
            return fields
        }
    }

    func statusBody(at now: ContinuousClock.Instant) -> [String: Any] {
        var body: [String: Any] = [
            "interactionId": interactionID,
            "createdAt": createdAtText,
            "status": hasEnded(at: now) ? "ended" : "pending",
        ]
        if hasEnded(at: now), let event = completionEvent() { body["completionEvent"] = event }
        return body
    }

    /// The answer of a `waitForCallEnd` POST once the call has ended.
    func waitForCallEndBody() -> [String: Any] {
        var body: [String: Any] = ["interactionId": interactionID]
        if let summary { body["response"] = summary }
        if let recordingURL { body["call"] = ["recordingUrl": recordingURL] }
        return body
    }
}
