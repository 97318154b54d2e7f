import MeshCore

/// A deterministic discrete-event simulation of many processes on one virtual clock.
///
/// The network delivers each message after `baseDelay + U(0, jitter)` plus the sender's and the
/// receiver's extra delay, drops it with probability `loss`, and drops it when a one-way partition
/// blocks the sender's group from the receiver's group. A paused process neither handles nor sends:
/// what reaches it waits and is handled, in arrival order, when it resumes. A crashed process stops
/// forever. Everything random comes from one seeded generator, so a seed replays a run exactly.
public final class ClusterSimulator<Process: SimulatedProcess> {
    public enum NodeState: Hashable, Sendable { case running, paused, crashed }

    private enum Payload {
        case deliver(to: Int, from: Int, message: Process.Message, size: Int)
        case tick(Int)
    }

    public private(set) var now: MeshInstant
    public private(set) var processes: [Process] = []
    public private(set) var states: [NodeState] = []
    public private(set) var traffic: [SimulatedTraffic] = []
    public var conditions: NetworkConditions
    /// Called for every event a process emits, with the process index and the virtual time.
    public var onEvent: ((Int, MeshInstant, Process.Event) -> Void)?
    public private(set) var droppedByLoss = 0
    public private(set) var droppedByPartition = 0
    public private(set) var undeliverable = 0
    public private(set) var eventsProcessed = 0

    private var rng: SeededRandom
    private var queue = EventQueue<Payload>()
    private var indexByAddress: [String: Int] = [:]
    private var addresses: [String] = []
    private var tickSequence: [UInt64?] = []
    private var tickTime: [MeshInstant] = []
    private var deferred: [[Payload]] = []
    private var extraDelay: [MeshDuration] = []
    private var group: [Int] = []
    private var blocked: Set<[Int]> = []

    public init(seed: UInt64, conditions: NetworkConditions = NetworkConditions(), start: MeshInstant = .zero) {
        rng = SeededRandom(seed: seed)
        self.conditions = conditions
        now = start
    }

    public var count: Int { processes.count }

    public func index(of address: String) -> Int? { indexByAddress[address] }

    /// Adds a running process at the current time; returns its index.
    @discardableResult
    public func add(_ process: Process) -> Int {
        let id = processes.count
        processes.append(process)
        states.append(.running)
        traffic.append(SimulatedTraffic())
        tickSequence.append(nil)
        tickTime.append(now)
        deferred.append([])
        extraDelay.append(.zero)
        group.append(0)
        indexByAddress[process.address] = id
        addresses.append(process.address)
        scheduleTick(id)
        return id
    }

    /// Runs events up to and including `deadline`, or until `stop` returns true after an event.
    /// Returns true when `stop` ended the run.
    @discardableResult
    public func run(until deadline: MeshInstant, stop: (() -> Bool)? = nil) -> Bool {
        while let next = queue.nextTime, next <= deadline {
            guard let entry = queue.pop() else { break }
            now = entry.time
            eventsProcessed += 1
            handle(entry.payload, sequence: entry.sequence)
            if let stop, stop() { return true }
        }
        now = max(now, deadline)
        return false
    }

    @discardableResult
    public func run(for duration: MeshDuration, stop: (() -> Bool)? = nil) -> Bool {
        run(until: now + duration, stop: stop)
    }

    // MARK: Faults

    public func crash(_ id: Int) {
        states[id] = .crashed
        deferred[id] = []
    }

    public func pause(_ id: Int) {
        if states[id] == .running { states[id] = .paused }
    }

    /// Resumes a paused process: it handles what arrived meanwhile, in order, then its timers.
    public func resume(_ id: Int) {
        guard states[id] == .paused else { return }
        states[id] = .running
        let waiting = deferred[id]
        deferred[id] = []
        for payload in waiting {
            guard states[id] == .running else { break }
            if case .deliver(let to, let from, let message, let size) = payload {
                deliver(to: to, from: from, message: message, size: size)
            }
        }
        scheduleTick(id)
    }

    /// Extra one-way delay on every message the process sends or receives (a slow node).
    public func setExtraDelay(_ id: Int, _ delay: MeshDuration) { extraDelay[id] = delay }

    public func setGroup(_ id: Int, _ value: Int) { group[id] = value }

    /// Drops every message from a process in group `from` to a process in group `to` (one way).
    public func block(from: Int, to: Int) { blocked.insert([from, to]) }

    public func unblock(from: Int, to: Int) { blocked.remove([from, to]) }

    public func healPartitions() { blocked.removeAll() }

    /// Runs `body` on one process in place (for test inspection or direct inputs).
    public func withProcess<R>(_ id: Int, _ body: (inout Process) -> R) -> R { body(&processes[id]) }

    /// Feeds a process's output into the network, as if it had produced it at the current time.
    public func inject(_ output: SimulatedOutput<Process.Message, Process.Event>, from id: Int) {
        apply(output, from: id)
        scheduleTick(id)
    }

    // MARK: Engine

    private func handle(_ payload: Payload, sequence: UInt64) {
        switch payload {
        case .deliver(let to, let from, let message, let size):
            switch states[to] {
            case .crashed: return
            case .paused: deferred[to].append(payload)
            case .running: deliver(to: to, from: from, message: message, size: size)
            }
        case .tick(let id):
            guard tickSequence[id] == sequence else { return }
            tickSequence[id] = nil
            guard states[id] == .running else { return }
            let output = processes[id].tick(now: now)
            apply(output, from: id)
            scheduleTick(id)
        }
    }

    private func deliver(to: Int, from: Int, message: Process.Message, size: Int) {
        traffic[to].messagesReceived += 1
        traffic[to].bytesReceived += size
        let output = processes[to].receive(message, from: addresses[from], now: now)
        apply(output, from: to)
        scheduleTick(to)
    }

    private func apply(_ output: SimulatedOutput<Process.Message, Process.Event>, from id: Int) {
        if let onEvent {
            for event in output.events { onEvent(id, now, event) }
        }
        for (message, address) in output.sends {
            let size = Process.wireSize(of: message)
            traffic[id].messagesSent += 1
            traffic[id].bytesSent += size
            traffic[id].largestSent = max(traffic[id].largestSent, size)
            guard let to = indexByAddress[address] else {
                undeliverable += 1
                continue
            }
            if conditions.loss > 0, Double.random(in: 0..<1, using: &rng) < conditions.loss {
                droppedByLoss += 1
                continue
            }
            if !blocked.isEmpty, blocked.contains([group[id], group[to]]) {
                droppedByPartition += 1
                continue
            }
            var delay = conditions.baseDelay + extraDelay[id] + extraDelay[to]
            if conditions.jitter > .zero {
                delay =
                    delay + MeshDuration(nanoseconds: Int64.random(in: 0...conditions.jitter.nanoseconds, using: &rng))
            }
            queue.push(.deliver(to: to, from: id, message: message, size: size), at: now + delay)
        }
    }

    private func scheduleTick(_ id: Int) {
        guard states[id] == .running else { return }
        // Through the buffer: a plain subscript read copies the whole process in unspecialized generic code.
        let due = max(processes.withUnsafeBufferPointer { $0[id].nextDeadline }, now)
        if tickSequence[id] != nil, tickTime[id] <= due { return }
        tickTime[id] = due
        tickSequence[id] = queue.push(.tick(id), at: due)
    }
}
