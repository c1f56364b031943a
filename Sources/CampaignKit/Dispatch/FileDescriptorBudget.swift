import Foundation

/// Makes sure the process may open the descriptors `--max-parallel` calls need, before any call is
/// placed. Without it, `socket()` fails with EMFILE part-way through a run: the request never left,
/// but the run limps on with a pool that cannot grow and a database that cannot open its files.
public enum FileDescriptorBudget {
    /// Descriptors a run holds whatever its parallelism: stdio, the database and its WAL, shared memory
    /// and lock files, each event loop's epoll, eventfd and timerfd, a few transient ones, with room to spare.
    static var baseline: Int { 64 + 4 * ProcessInfo.processInfo.activeProcessorCount }

    /// What `maxParallel` calls need: one connection each (`descriptorsPerCall` 2 when the simulator runs
    /// in this process and holds the other end), 8 more for polls that overlap a slot's next POST.
    static func needed(maxParallel: Int, descriptorsPerCall: Int) -> Int {
        baseline + (maxParallel + 8) * descriptorsPerCall
    }

    /// Raises the soft limit on open files as far as needed (never beyond the hard limit); throws when
    /// even the hard limit is too low, with the `--max-parallel` that fits.
    public static func ensure(maxParallel: Int, descriptorsPerCall: Int) throws(FileDescriptorLimitError) {
        let needed = needed(maxParallel: maxParallel, descriptorsPerCall: descriptorsPerCall)
        // RLIM_INFINITY, spelt portably: the C macro does not import as an unsigned constant.
        let infinity = rlim_t.max
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        if limit.rlim_cur == infinity || limit.rlim_cur >= rlim_t(needed) { return }
        if limit.rlim_max == infinity || limit.rlim_max >= rlim_t(needed) {
            var raised = limit
            raised.rlim_cur = rlim_t(needed)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return }
        }
        let hard = limit.rlim_max == infinity ? Int.max : Int(limit.rlim_max)
        let available = max(hard, Int(limit.rlim_cur))
        let fits = (available - baseline) / descriptorsPerCall - 8
        throw FileDescriptorLimitError(
            maxParallel: maxParallel, needed: needed, limit: available, fits: max(0, fits))
    }
}

/// `--max-parallel` needs more open files than this process may have.
public struct FileDescriptorLimitError: Error, Sendable, Equatable, CustomStringConvertible {
    var maxParallel: Int
    var needed: Int
    var limit: Int
    var fits: Int

    public var description: String {
        let advice =
            fits >= 1
            ? "use --max-parallel \(fits) or less, or raise the limit (ulimit -n)"
            : "raise the limit (ulimit -n) to at least \(needed)"
        return "--max-parallel \(maxParallel) needs about \(needed) open files, but this process may open only "
            + "\(limit): \(advice)"
    }
}
