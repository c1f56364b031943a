import Foundation
import Hummingbird
import Logging
import NIOCore
import UnixSignals

/// A fake Poku calling API over real HTTP on a loopback port: it validates requests as
/// docs/poku-api.md says, places simulated calls that end on their own, injects scripted faults and
/// keeps a ledger of every request, so the client and the dispatcher can be tested (and campaigns
/// rehearsed) without an account and without a phone ringing.
public final class PokuSimulator: Sendable {
    /// The port the server is bound to (the free one chosen when the configuration said 0).
    public let port: Int
    public let host: String
    public let configuration: Configuration
    let state: SimulatorState
    private let serverTask: Task<Void, any Error>

    /// `http://host:port`, the base URL a client is given.
    /// An IPv6 address (`::1`) goes in brackets, as a URL needs it.
    public var baseURL: URL { URL(string: "http://\(host.contains(":") ? "[\(host)]" : host):\(port)")! }

    private init(
        port: Int, host: String, configuration: Configuration, state: SimulatorState, serverTask: Task<Void, any Error>
    ) {
        self.port = port
        self.host = host
        self.configuration = configuration
        self.state = state
        self.serverTask = serverTask
    }

    /// Starts the server and returns once it accepts connections.
    public static func start(_ configuration: Configuration = Configuration()) async throws(PokuSimulatorError)
        -> PokuSimulator
    {
        let state = SimulatorState(configuration: configuration)
        let router = Router(context: SimulatorRequestContext.self)
        SimulatorRoutes(state: state).register(on: router)
        var logger = Logger(label: "PokuSimulator")
        logger.logLevel = .critical
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? configuration.port)
            },
            logger: logger
        )
        let serverTask = Task {
            defer { portSink.finish() }
            try await app.run()
        }
        for await port in ports {
            return PokuSimulator(
                port: port, host: configuration.host, configuration: configuration, state: state, serverTask: serverTask
            )
        }
        do {
            try await serverTask.value
        } catch {
            throw .couldNotStart(host: configuration.host, port: configuration.port, reason: "\(error)")
        }
        throw .couldNotStart(host: configuration.host, port: configuration.port, reason: "the server stopped at once")
    }

    /// Stops the server: open connections are closed, held `waitForCallEnd` requests abandoned.
    public func shutdown() async {
        serverTask.cancel()
        _ = try? await serverTask.value
    }

    /// Returns when the server has stopped (after `shutdown()` from elsewhere).
    public func waitUntilStopped() async {
        _ = try? await serverTask.value
    }

    /// Every API request so far, and the concurrency figures.
    public func ledger() async -> LedgerSnapshot {
        await state.snapshot()
    }

    /// Replaces the fault script; scripted fault lists start again from their first entry.
    public func loadScript(_ script: FaultScript) async {
        await state.loadScript(script)
    }

    /// Returns once the call has ended in the simulator, so a test waits on the event itself
    /// rather than sleeping for a guessed time. Throws `unknownInteraction` for an id never placed.
    public func waitForCallEnd(_ interactionID: String) async throws {
        guard let call = await state.call(interactionID) else {
            throw PokuSimulatorError.unknownInteraction(interactionID)
        }
        try await Task.sleep(until: call.endsAt, clock: .continuous)
    }

    /// Ends a call now, whatever its drawn duration: a test sees a call `pending` for as long as it needs,
    /// on a loaded machine too, then ends it. Its status answers `ended` from here on (a `waitForCallEnd`
    /// POST already held keeps its own end). Throws `unknownInteraction` for an id never placed.
    public func endCall(_ interactionID: String) async throws {
        guard await state.endCall(interactionID) else { throw PokuSimulatorError.unknownInteraction(interactionID) }
    }
}

/// Why the simulator could not do what was asked.
public enum PokuSimulatorError: Error, Sendable, CustomStringConvertible {
    case couldNotStart(host: String, port: Int, reason: String)
    case unknownInteraction(String)

    public var description: String {
        switch self {
        case .couldNotStart(let host, let port, let reason):
            "the simulator could not listen on \(host):\(port): \(reason)"
        case .unknownInteraction(let id): "the simulator placed no call with interactionId \(id)"
        }
    }
}

/// A request context that keeps the connection's channel, so a fault can close the connection
/// without writing any answer (the "answer lost after the call was placed" case).
struct SimulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

extension PokuSimulator {
    /// Serves until the process receives SIGINT or SIGTERM, then shuts down; for `campaign simulator`.
    public func runUntilTerminated() async {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in signals { return }
            }
            group.addTask { await self.waitUntilStopped() }
            await group.next()
            // Stop the server before leaving the group: the waiting child only returns once it has stopped.
            await self.shutdown()
            group.cancelAll()
        }
    }
}
