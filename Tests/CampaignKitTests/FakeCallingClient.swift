import Foundation

@testable import CampaignKit

/// The one test double at the calling seam: scripted per phone number, records every request, and
/// tracks how many calls are in flight (placed and not yet reported ended).
actor FakeCallingClient: CallingClient {
    nonisolated var api: String { "fake" }
    /// What one POST to a number does.
    enum Step: Sendable {
        /// Placed; the status is `pending` for `polls - 1` polls, then `ended` with this summary.
        case answer(String, polls: Int = 2)
        /// Placed; ends without a completionEvent.
        case noResult(polls: Int = 2)
        /// The POST fails.
        case fail(CallingError)
        /// Placed; every status request fails.
        case statusFails(CallingError)
    }

    struct Post: Sendable {
        var request: CallRequest
        var at: Date
    }

    private struct Live {
        var phone: String
        var pollsLeft: Int
        var completion: CallCompletion?
        var statusError: CallingError?
    }

    private var scripts: [String: [Step]]
    private let clock: any DispatchClock
    private var live: [String: Live] = [:]
    private var counter = 0
    private(set) var posts: [Post] = []
    private(set) var statusRequests: [String] = []
    private(set) var inFlight = 0
    private(set) var maxInFlight = 0

    init(clock: any DispatchClock, scripts: [String: [Step]] = [:]) {
        self.clock = clock
        self.scripts = scripts
    }

    /// A call placed by an earlier run, known to the API by `interactionID`.
    func preload(interactionID: String, phone: String, summary: String, polls: Int = 1) {
        live[interactionID] = Live(
            phone: phone, pollsLeft: polls,
            completion: CallCompletion(summary: summary, recordingURL: nil, rawJSON: "{}"))
        inFlight += 1
        maxInFlight = max(maxInFlight, inFlight)
    }

    func placeCall(_ request: CallRequest) async throws(CallingError) -> PlacedCall {
        posts.append(Post(request: request, at: clock.now()))
        var steps = scripts[request.to] ?? []
        let step = steps.isEmpty ? .answer("They confirmed the reservation.") : steps.removeFirst()
        scripts[request.to] = steps
        counter += 1
        let id = "call-\(counter)"
        var call: Live
        switch step {
        case .fail(let error): throw error
        case .answer(let summary, let polls):
            call = Live(
                phone: request.to, pollsLeft: polls,
                completion: CallCompletion(summary: summary, recordingURL: "https://rec/\(id)", rawJSON: "{}"))
        case .noResult(let polls):
            call = Live(phone: request.to, pollsLeft: polls, completion: nil)
        case .statusFails(let error):
            call = Live(phone: request.to, pollsLeft: 1, completion: nil, statusError: error)
        }
        if request.waitForCallEnd == true {
            call.pollsLeft = 0
            return PlacedCall(interactionID: id, completion: call.completion, rawJSON: "{\"interactionId\":\"\(id)\"}")
        }
        inFlight += 1
        maxInFlight = max(maxInFlight, inFlight)
        live[id] = call
        return PlacedCall(interactionID: id, completion: nil, rawJSON: "{\"interactionId\":\"\(id)\"}")
    }

    func status(of interactionID: String) async throws(CallingError) -> CallStatusReport {
        statusRequests.append(interactionID)
        guard var call = live[interactionID] else { throw .interactionNotFound(interactionID) }
        if let error = call.statusError { throw error }
        call.pollsLeft -= 1
        if call.pollsLeft > 0 {
            live[interactionID] = call
            return CallStatusReport(state: .pending, rawJSON: "{\"status\":\"pending\"}")
        }
        live[interactionID] = nil
        inFlight -= 1
        return CallStatusReport(state: .ended(call.completion), rawJSON: "{\"status\":\"ended\"}")
    }

    func postTimes(to phone: String) -> [Date] { posts.filter { $0.request.to == phone }.map(\.at) }
}
