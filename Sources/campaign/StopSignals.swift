import Foundation
import Synchronization

/// SIGINT (Ctrl-C), SIGTERM (systemd, containers, CI) and SIGHUP (a closed terminal) without blocking: a
/// dispatch signal source calls `handler(signal, true)` on the first of them and `handler(signal, false)` on
/// every later one. All three stop a run the same way, so a service manager's stop keeps the grace period.
// @unchecked: DispatchSource is thread-safe but not annotated; the counts are behind a Mutex.
final class InterruptHandler: @unchecked Sendable {
    /// The signals that stop a run.
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    /// The first stop signal this process received, for its exit status (`ExitStatus.interrupted`).
    static let firstSignal = Mutex<Int32?>(nil)

    private let sources: [any DispatchSourceSignal]
    private let count = Mutex(0)

    init(handler: @escaping @Sendable (_ signal: Int32, _ first: Bool) -> Void) {
        let queue = DispatchQueue(label: "campaign.signals")
        var sources: [any DispatchSourceSignal] = []
        for number in Self.signals {
            signal(number, SIG_IGN)
            sources.append(DispatchSource.makeSignalSource(signal: number, queue: queue))
        }
        self.sources = sources
        for (number, source) in zip(Self.signals, sources) {
            source.setEventHandler { [weak self] in
                guard let self else { return }
                let seen = self.count.withLock { value -> Int in
                    value += 1
                    return value
                }
                Self.firstSignal.withLock { first in if first == nil { first = number } }
                handler(number, seen == 1)
            }
            source.resume()
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
        for number in Self.signals { signal(number, SIG_DFL) }
    }

    /// How the stop is named to the user.
    static func name(_ number: Int32) -> String {
        switch number {
        case SIGINT: return "Ctrl-C"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        default: return "signal \(number)"
        }
    }
}
