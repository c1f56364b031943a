import AsyncHTTPClient
@testable import CampaignKit
import Foundation
import PokuSimulator

/// Starts a simulator on 127.0.0.1 and a real client pointed at it, runs `body`, and shuts both down.
func withSimulator<T>(
    _ configuration: PokuSimulator.Configuration = .init(callDuration: .fixed(.milliseconds(50))),
    apiKey: String? = nil,
    clientConfiguration: (URL) -> PokuClient.Configuration = { PokuClient.Configuration(baseURL: $0) },
    _ body: (PokuSimulator, PokuClient) async throws -> T
) async throws -> T {
    let simulator = try await PokuSimulator.start(configuration)
    let client = PokuClient(
        configuration: clientConfiguration(simulator.baseURL), apiKey: apiKey ?? configuration.apiKey
    )
    do {
        let result = try await body(simulator, client)
        await client.shutdown()
        await simulator.shutdown()
        return result
    } catch {
        await client.shutdown()
        await simulator.shutdown()
        throw error
    }
}

/// A short call request to `number`.
func callRequest(to number: String, waitForCallEnd: Bool? = nil) -> CallRequest {
    CallRequest(prompt: "You are calling to confirm dinner on [day].", to: number, waitForCallEnd: waitForCallEnd)
}

/// A `CallingError` reduced to what a test compares: its case, its status, its Retry-After.
struct ErrorShape: Equatable, CustomStringConvertible {
    var kind: String
    var status: Int?
    var retryAfter: Duration?

    init(_ kind: String, _ status: Int? = nil, retryAfter: Duration? = nil) {
        self.kind = kind
        self.status = status
        self.retryAfter = retryAfter
    }

    init(_ error: CallingError) {
        switch error {
        case .rejected(let status, _): self.init("rejected", status)
        case .unauthorized(let status, _): self.init("unauthorized", status)
        case .outOfCredits: self.init("outOfCredits", 402)
        case .rateLimited(let status, let retryAfter): self.init("rateLimited", status, retryAfter: retryAfter)
        case .notSent: self.init("notSent")
        case .outcomeUnknown(let status, _): self.init("outcomeUnknown", status)
        case .interactionNotFound: self.init("interactionNotFound", 404)
        }
    }

    var description: String {
        "\(kind)(\(status.map(String.init) ?? "-"), retryAfter: \(String(describing: retryAfter)))"
    }
}

/// The error a throwing call failed with, or `nil` when it succeeded.
func callingError<T>(_ operation: () async throws(CallingError) -> T) async -> CallingError? {
    do {
        _ = try await operation()
        return nil
    } catch {
        return error
    }
}

/// A bare HTTP client for requests the `PokuClient` would never send, always shut down.
func withRawHTTP<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
    let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
    do {
        let result = try await body(http)
        try await http.shutdown()
        return result
    } catch {
        try? await http.shutdown()
        throw error
    }
}
