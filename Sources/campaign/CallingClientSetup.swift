import CampaignKit
import Foundation
import PokuSimulator

/// How a run reaches the calling API: the one place the calling client is constructed.
struct CallingClientSetup {
    var simulate: Bool
    var apiURL: String
    var allowInsecureHTTP = false
    /// Passed through to the client, never printed.
    var apiKey: String?
    var maxParallel: Int
    /// Each call holds its POST's connection until it ends (`--wait-for-call-end`), instead of polling.
    var waitForCallEnd = false
    var simulation: PokuSimulator.Configuration

    /// Runs `body` with the client and shuts it down (and the simulator, when rehearsing) when `body` returns
    /// or throws. With `simulate`, the built-in simulator starts in this process on a free loopback port and the
    /// real HTTP client talks to it, so a rehearsal exercises the same code as a real campaign.
    func withCallingClient<T>(_ body: (any CallingClient) async throws -> T) async throws -> T {
        let connections = PokuClient.Configuration.connections(maxParallel: maxParallel, waitForCallEnd: waitForCallEnd)
        let client: PokuClient
        var simulator: PokuSimulator?
        if simulate {
            let started = try await PokuSimulator.start(simulation)
            simulator = started
            client = PokuClient(
                configuration: .init(baseURL: started.baseURL, maxConnections: connections), apiKey: simulation.apiKey)
        } else {
            let url = try APIAccess.baseURL(apiURL, allowInsecureHTTP: allowInsecureHTTP)
            client = PokuClient(configuration: .init(baseURL: url, maxConnections: connections), apiKey: apiKey ?? "")
        }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(client))
        } catch {
            result = .failure(error)
        }
        await client.shutdown()
        await simulator?.shutdown()
        return try result.get()
    }
}
