import Dispatch
import Foundation
import NIOCore

/// The way from an import's body, which is synchronous and runs on a thread of its own, to the async task that
/// holds the import's connection. The body sends the jobs as COPY data and asks for the few statements it needs
/// (the do-not-call list, the import's counts); the task sends them on the connection in the order they came.
///
/// The body never runs on a Swift-concurrency thread: its `write` waits when `chunksInFlight` batches are queued
/// and not yet sent (back-pressure, so a fast importer does not hold the whole file in memory while the server
/// catches up), and a statement's caller waits for its answer. Blocking a cooperative thread there could starve
/// the task that sends the COPY data or the pool's `run()`, which share the same 2 (here) threads.
final class PostgresImportChannel: @unchecked Sendable {
    enum Step: Sendable {
        /// Rows for `COPY jobs FROM STDIN`, in COPY's text format.
        case copy(ByteBuffer)
        /// A statement, outside any COPY.
        case call(any PostgresImportCall)
    }

    /// Batches (about 1,024 jobs, 150 kB each) queued for the connection at most: enough for the importer to
    /// validate the next batch while one is on the wire, and a few MB at most.
    static let chunksInFlight = 4

    /// Read by the connection's task only (`next`).
    private var steps: AsyncStream<Step>.Iterator
    private let continuation: AsyncStream<Step>.Continuation
    private let room = DispatchSemaphore(value: chunksInFlight)
    private let lock = NSLock()
    private var failure: PostgresStoreError?

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: Step.self)
        self.steps = stream.makeAsyncIterator()
        self.continuation = continuation
    }

    /// From the connection's task: the next step, or nil once the body is done and every step was taken.
    func next() async -> Step? {
        await steps.next()
    }

    /// The first failure of the connection's side, which the body's next `send` or `call` throws.
    var failed: PostgresStoreError? {
        lock.withLock { failure }
    }

    /// From the connection's side: the import failed; every later step is refused with `error`.
    func fail(_ error: PostgresStoreError) {
        lock.withLock { if failure == nil { failure = error } }
    }

    /// From the body's thread: queues COPY data, waiting while `chunksInFlight` are queued.
    func send(_ data: ByteBuffer) throws(PostgresStoreError) {
        if let failed { throw failed }
        room.wait()
        continuation.yield(.copy(data))
    }

    /// From the connection's side: a chunk was taken off the queue (sent or, after a failure, dropped).
    func took() {
        room.signal()
    }

    /// From the body's thread: runs `work` on the connection, between the COPY data sent before and after it, and
    /// waits for its answer.
    func call<V: Sendable>(_ work: @escaping @Sendable (PostgresSQL) async throws(PostgresStoreError) -> V)
        throws(PostgresStoreError) -> V
    {
        if let failed { throw failed }
        let call = PostgresImportReply(work)
        continuation.yield(.call(call))
        return try call.wait()
    }

    /// From the body's thread, when the body has returned or thrown: nothing more comes.
    func finish() {
        continuation.finish()
    }
}

/// A statement the body waits for.
protocol PostgresImportCall: Sendable {
    func perform(_ sql: PostgresSQL) async
    func refuse(_ error: PostgresStoreError)
}

final class PostgresImportReply<V: Sendable>: PostgresImportCall, @unchecked Sendable {
    private let work: @Sendable (PostgresSQL) async throws(PostgresStoreError) -> V
    private let ready = DispatchSemaphore(value: 0)
    /// Written once by the connection's side before `ready` is signalled; read by the body after.
    private var result: Result<V, PostgresStoreError>?

    init(_ work: @escaping @Sendable (PostgresSQL) async throws(PostgresStoreError) -> V) { self.work = work }

    func perform(_ sql: PostgresSQL) async {
        do { result = .success(try await work(sql)) } catch { result = .failure(error) }
        ready.signal()
    }

    func refuse(_ error: PostgresStoreError) {
        result = .failure(error)
        ready.signal()
    }

    func wait() throws(PostgresStoreError) -> V {
        ready.wait()
        return try result!.get()
    }
}
