import Foundation

/// The seam between the dispatcher and Poku: the real HTTP client and test doubles plug in here.
/// Every failure is a `CallingError`, classified by whether a call may have been placed.
public protocol CallingClient: Sendable {
    /// Which API this client talks to (its base URL, without credentials): recorded on each attempt, so that
    /// a call is only ever followed on the API that placed it.
    var api: String { get }
    /// POST /calls. With `waitForCallEnd` the answer comes when the call has ended.
    func placeCall(_ request: CallRequest) async throws(CallingError) -> PlacedCall
    /// GET /interactions/{id}/status.
    func status(of interactionID: String) async throws(CallingError) -> CallStatusReport
}
