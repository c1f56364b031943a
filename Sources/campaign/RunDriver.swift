import CampaignKit
import Foundation

/// One dispatcher run with the live progress line and Ctrl-C handling: what `run` and `demo` share.
enum RunDriver {
    /// Works the campaign until it finishes, waits or is stopped, with the calling client `calling` sets up,
    /// shut down when the run ends however it ends.
    static func execute(
        store: any DispatchStore, campaign record: CampaignRecord, calling: CallingClientSetup,
        configuration: DispatchConfiguration, gracePeriod: String
    ) async throws -> RunResult {
        try await calling.withCallingClient { client in
            let printer = ProgressPrinter(interactive: isatty(STDOUT_FILENO) == 1)
            defer { printer.finishLine() }
            let dispatcher = Dispatcher(
                store: store, campaign: record, client: client, configuration: configuration,
                onEvent: { printer.show($0) })
            let interrupts = InterruptHandler { signal, first in
                if first {
                    dispatcher.requestStop()
                    printer.note(
                        "\(InterruptHandler.name(signal)): stopping: no new calls; following the calls in flight for "
                            + "up to \(gracePeriod) (a second Ctrl-C or stop signal exits now, still resumable)")
                } else {
                    printer.note("exiting now; everything is saved: run campaign run again to continue")
                    Foundation.exit(ExitStatus.stopped(by: signal).rawValue)
                }
            }
            defer { interrupts.cancel() }
            return try await dispatcher.run()
        }
    }
}

/// The words `campaign run` prints when it ends.
enum RunSummaryText {
    static func render(_ result: RunResult, campaign: String) -> String {
        switch result {
        case .finished(let counts):
            var text = "campaign '\(campaign)' finished: \(describe(counts))"
            if counts.unknown > 0 {
                text +=
                    "\n\(counts.unknown) job(s) need review: campaign report lists them; campaign resolve settles them"
            }
            return text
        case .waiting(let until, let counts):
            return "nothing due now (\(describe(counts))); the next call is due at "
                + "\(ProgressPrinter.clockTime(until)): run campaign run again then"
        case .stopped(let counts):
            return "stopped (\(describe(counts))); run campaign run again to continue"
        case .pastDeadline(let deadline, let counts):
            return "the deadline \(ProgressPrinter.clockTime(deadline)) passed: no call starts after it; "
                + "\(counts.queued) job(s) stay queued (\(describe(counts)))"
        }
    }

    static func describe(_ counts: JobCounts) -> String {
        counts.byStatus.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue)" }.joined(
            separator: ", ")
    }
}
