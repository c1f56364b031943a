import Foundation
import Synchronization
import Testing

/// The built `campaign` executable, run as a user would run it.
public enum CampaignBinary {
    /// What one run printed and how it exited.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// `CAMPAIGN_BINARY`, else `campaign` beside the test bundle (both live in the build folder).
    public static var url: URL {
        if let path = ProcessInfo.processInfo.environment["CAMPAIGN_BINARY"] { return URL(fileURLWithPath: path) }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = bundle.deletingLastPathComponent()
        // The xctest bundle may be a directory on some platforms: climb until `campaign` is found.
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("campaign")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return bundle.deletingLastPathComponent().appendingPathComponent("campaign")
    }

    /// Runs the binary with `arguments` in `directory` and waits for it to exit (off the cooperative pool:
    /// see `Running.exit()`).
    public static func run(
        _ arguments: [String], in directory: URL, environment: [String: String] = [:]
    ) async throws -> Output {
        try await start(arguments, in: directory, environment: environment).exit()
    }

    /// A running binary whose output goes to files (so a chatty run can never block on a full pipe). A binary
    /// still running when its `Running` is released (a test that failed half-way) is killed with SIGKILL, so no
    /// process outlives its test.
    public final class Running: @unchecked Sendable {
        public let process: Process
        let stdoutPath: String
        let stderrPath: String
        let ended: Ended

        init(process: Process, stdoutPath: String, stderrPath: String, ended: Ended) {
            self.process = process
            self.stdoutPath = stdoutPath
            self.stderrPath = stderrPath
            self.ended = ended
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        public func output() -> Output {
            let out = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
            let err = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            return Output(status: process.terminationStatus, stdout: out, stderr: err)
        }

        /// Waits for the process to exit, holding no thread: Foundation's termination handler resumes the
        /// wait. (`waitUntilExit()` blocks its thread, and the tests run on Swift's cooperative pool, two
        /// threads on a 2-core machine: end-to-end tests blocking there starved every other test's timers;
        /// on a thread of its own it spins its run loop at a fifth of a core for as long as it waits.)
        ///
        /// A binary that has not exited after `seconds` is killed with SIGKILL and the test fails with what
        /// it printed: a hang is a failing test with its output, never a CI run that times out.
        public func exit(within seconds: Double = 300) async -> Output {
            let watchdog = Task { [process] in
                try await Task.sleep(for: .seconds(seconds))
                guard process.isRunning else { return }
                kill(process.processIdentifier, SIGKILL)
                // Not `output()`: the exit status cannot be read before the process is reaped.
                let message: String =
                    "\(process.arguments ?? []) did not exit within \(Int(seconds)) s; killed. It printed:\n"
                    + stdoutSoFar() + "\n--stderr--\n"
                    + ((try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
                Issue.record(Comment(rawValue: message))
            }
            await ended.wait()
            watchdog.cancel()
            return output()
        }

        /// What the process has printed so far.
        public func stdoutSoFar() -> String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    }

    /// Starts the binary; with a `launcher` (`["/bin/sh", "-c", "ulimit -n 40 && exec \"$0\" \"$@\""]`), the
    /// launcher runs with the binary's path and `arguments` after its own.
    public static func start(
        _ arguments: [String], in directory: URL, environment: [String: String] = [:], launcher: [String] = []
    ) throws -> Running {
        let process = Process()
        if let program = launcher.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(launcher.dropFirst()) + [url.path] + arguments
        } else {
            process.executableURL = url
            process.arguments = arguments
        }
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "CAMPAIGN_DB")
        env.removeValue(forKey: "POKU_API_KEY")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let token = UUID().uuidString
        let stdoutPath = directory.appendingPathComponent(".out-\(token)").path
        let stderrPath = directory.appendingPathComponent(".err-\(token)").path
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardInput = FileHandle.nullDevice
        let ended = Ended()
        process.terminationHandler = { _ in ended.signal() }
        try process.run()
        return Running(process: process, stdoutPath: stdoutPath, stderrPath: stderrPath, ended: ended)
    }

    /// Whether a process has exited, awaited by any number of tasks.
    final class Ended: Sendable {
        private let state = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        func signal() {
            let waiters = state.withLock { state in
                state.done = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }

        func wait() async {
            await withCheckedContinuation { continuation in
                let done = state.withLock { state in
                    if !state.done { state.waiters.append(continuation) }
                    return state.done
                }
                if done { continuation.resume() }
            }
        }
    }
}
