import Foundation

/// The simulator's memory: placed calls, the ledger, script cursors and the concurrency high-water
/// mark. An actor, because many connections touch it at once.
actor SimulatorState {
    let configuration: PokuSimulator.Configuration
    private var script: FaultScript
    /// Per number: how many scripted faults were used up.
    private var scriptCursor: [String: Int] = [:]
    /// Per number: how many calls were placed; with the seed it fixes the next call's outcome.
    private var placedCount: [String: Int] = [:]
    private var calls: [String: SimulatedCall] = [:]
    private var entries: [LedgerEntry] = []
    /// End instants of the calls not yet ended (as of the last placement), so counting the calls in
    /// progress costs the calls in progress, not every call ever placed.
    private var activeEnds: [ContinuousClock.Instant] = []
    private var maxConcurrent = 0
    private var placedTotal = 0

    init(configuration: PokuSimulator.Configuration) {
        self.configuration = configuration
        self.script = configuration.script
    }

    func loadScript(_ script: FaultScript) {
        self.script = script
        scriptCursor = [:]
    }

    var responseDelay: Double { script.responseDelay }
    var statusFault: SimulatedFault { script.statusFault }

    /// The fault for the next POST to `number`: its scripted list first, then the default.
    func nextFault(for number: String?) -> SimulatedFault {
        guard let number, let list = script.faults[number] else { return script.defaultFault }
        let index = scriptCursor[number, default: 0]
        guard index < list.count else { return script.defaultFault }
        scriptCursor[number] = index + 1
        return list[index]
    }

    /// Places a call; its outcome, duration and event form depend only on the seed, the number
    /// and how many calls that number had before.
    func placeCall(to number: String, from: String?, statusNotFound: Bool) -> SimulatedCall {
        let index = placedCount[number, default: 0]
        placedCount[number] = index + 1
        var random = SeededRandom(seed: configuration.seed, key: number, index: index)
        let outcomeDraw = random.nextUnit()
        let durationDraw = random.nextUnit()
        let formDraw = random.nextUnit()
        var idBytes = (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        idBytes[6] = (idBytes[6] & 0x0f) | 0x40
        idBytes[8] = (idBytes[8] & 0x3f) | 0x80
        let id = UUID(
            uuid: (
                idBytes[0], idBytes[1], idBytes[2], idBytes[3], idBytes[4], idBytes[5], idBytes[6], idBytes[7],
                idBytes[8], idBytes[9], idBytes[10], idBytes[11], idBytes[12], idBytes[13], idBytes[14], idBytes[15]
            )
        ).uuidString.lowercased()

        let outcome = script.outcomes[number] ?? configuration.outcomeWeights.pick(outcomeDraw)
        let duration = configuration.callDuration.draw(durationDraw)
        let form: PokuSimulator.CompletionEventForm =
            switch configuration.completionEventForm {
            case .mixed: formDraw < 0.5 ? .wrapped : .bare
            case let fixed: fixed
            }
        let now = ContinuousClock.now
        let created = Date()
        let call = SimulatedCall(
            interactionID: id, to: number, from: from ?? "+15550000000", createdAt: created,
            createdAtText: Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(created),
            endsAt: now + duration, duration: duration, outcome: outcome, form: form, statusNotFound: statusNotFound
        )
        calls[id] = call
        placedTotal += 1
        activeEnds.removeAll { $0 <= now }
        activeEnds.append(call.endsAt)
        maxConcurrent = max(maxConcurrent, activeEnds.count)
        return call
    }

    func call(_ id: String) -> SimulatedCall? { calls[id] }

    func endCall(_ id: String) -> Bool {
        guard calls[id] != nil else { return false }
        let now = ContinuousClock.now
        if let end = calls[id]?.endsAt, end > now { calls[id]?.endsAt = now }
        return true
    }

    private func inProgress(at now: ContinuousClock.Instant) -> Int {
        activeEnds.reduce(0) { $0 + ($1 > now ? 1 : 0) }
    }

    /// Appends a ledger entry and returns its sequence number, for `complete`.
    func record(method: String, path: String, to: String?, prompt: String?) -> Int {
        let entry = LedgerEntry(
            sequence: entries.count,
            time: Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date()),
            method: method, path: path, to: to, prompt: prompt, status: nil, interactionId: nil, placed: false,
            fault: nil, dropped: false, callSeconds: nil
        )
        entries.append(entry)
        return entry.sequence
    }

    func complete(
        _ sequence: Int, status: Int?, interactionID: String? = nil, placed: Bool? = nil, fault: SimulatedFault? = nil,
        dropped: Bool = false
    ) {
        guard entries.indices.contains(sequence) else { return }
        entries[sequence].status = status
        if let interactionID {
            entries[sequence].interactionId = interactionID
            if placed == true, let call = calls[interactionID] {
                let parts = call.duration.components
                entries[sequence].callSeconds = Double(parts.seconds) + Double(parts.attoseconds) / 1e18
            }
        }
        if let placed { entries[sequence].placed = placed }
        if let fault, fault.kind != .ok || fault.delay > 0 { entries[sequence].fault = fault.description }
        entries[sequence].dropped = dropped
    }

    func snapshot() -> LedgerSnapshot {
        LedgerSnapshot(
            entries: entries, callsPlaced: placedTotal, inProgressCalls: inProgress(at: .now),
            maxConcurrentCalls: maxConcurrent
        )
    }
}
