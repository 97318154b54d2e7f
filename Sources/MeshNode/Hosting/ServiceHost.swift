import Logging
import MeshCore
import MeshLog
import MeshRPC
import MeshSaga
import MeshWire
import Synchronization

/// Runs one instance of an event-sourced service: its own log under `DATA/<service>/`, the state folded from it,
/// the domain's RPCs, the inbox for the events it subscribes to, `due`, snapshots and the outbox relay.
///
/// Invariants:
/// - The log IS the commit. Every decision (a command, a reaction to one delivered record, what `due` returned)
///   is ONE record, applied to the state and queued for appending under the same lock, so the state always
///   equals the fold of the log in log order (records queued but not yet durable included).
/// - Nothing is answered before the records the answer depends on are durable: a command's response, a
///   delivery's `applied`/`duplicate`, and a query waits until every record queued before it is durable.
/// - Only the key's owner decides: a call or event whose partition belongs to another instance is refused with
///   `failedPrecondition`, never handled here.
/// - A failed append stops the host (the log refuses everything after it; a restart recovers every
///   acknowledged record); an event of its own the domain cannot apply stops it too.
///
/// Sendable: mutable state is in `core` (a `Mutex`); the rest is immutable.
public final class ServiceHost<Domain: EventSourcedDomain>: HostedMethodRunner, Sendable {
    /// The instance name, `<service>-<i>`; also the origin of its events.
    public let instance: String
    public let map: PartitionMap
    public let instanceIndex: Int
    /// `DATA/<service>`: the log, with `snapshots/` and `cursors/` beside its files.
    public let directory: String
    let configuration: ServiceHostConfiguration
    let logger: Logger
    let core: Mutex<Core>
    let doorbell = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    let snapshotRequests = AsyncStream<PendingSnapshot>.makeStream(bufferingPolicy: .bufferingNewest(1))

    public var service: String { Domain.serviceName }

    struct Core {
        var log: EventLog?
        var state: Domain.State
        var ledger = InboxLedger()
        var recovery: HostRecovery?
        /// Set when new work is refused (stopped, or the domain failed to apply its own event).
        var refusal: RPCError?
        /// Set when an append failed: every waiter not yet durable fails with it.
        var commitFailure: RPCError?
        var queue: [NewRecord] = []
        /// Records ever queued, taken by the pump, and made durable (tickets count records).
        var enqueued: UInt64 = 0
        var taken: UInt64 = 0
        var durable: UInt64 = 0
        var waiters: [(ticket: UInt64, continuation: CheckedContinuation<Result<Void, RPCError>, Never>)] = []
        var sinceSnapshot = 0
        var relayRunning = false
        var subscribers: [String] = []
        /// `stop` ran: waiters not yet durable fail, nothing new is taken.
        var stopped = false

        mutating func requireReady() throws(RPCError) {
            if let refusal { throw refusal }
            guard log != nil else { throw RPCError(.unavailable, "\(Domain.serviceName) is recovering its log") }
        }

        /// Applies events this host decided; a failure stops the host (the state may be half-updated).
        mutating func apply(_ events: [DomainEvent], decidedAt: Int64) throws(RPCError) {
            for event in events {
                do {
                    try Domain.apply(event, timestamp: decidedAt, to: &state)
                } catch {
                    let failure = RPCError(
                        .internal,
                        "\(Domain.serviceName) cannot apply its own event of type \(event.type) (\(error)); "
                            + "the host stopped serving, restart it to rebuild from the log")
                    refusal = failure
                    throw failure
                }
            }
        }

        mutating func enqueue(_ record: NewRecord) {
            queue.append(record)
            enqueued += 1
        }
    }

    /// A state to write as a snapshot: the fold of every record up to `sequence`.
    struct PendingSnapshot: Sendable {
        var epoch: UInt64
        var sequence: UInt64
        var ledger: InboxLedger
        var state: Domain.State
    }

    /// Checks the instance name against the layout; nothing is opened yet.
    public init(
        instance: String,
        partitions: Int = PartitionMap.defaultPartitions,
        instances: Int,
        dataDirectory: String,
        configuration: ServiceHostConfiguration = ServiceHostConfiguration(),
        logger: Logger
    ) throws(HostError) {
        let map: PartitionMap
        do {
            map = try PartitionMap(service: Domain.serviceName, partitions: partitions, instances: instances)
        } catch {
            throw HostError(.invalidLayout, error.message)
        }
        guard let index = map.instanceIndex(named: instance) else {
            throw HostError(
                .invalidInstance,
                "'\(instance)' is not an instance name of \(Domain.serviceName): expected one of "
                    + map.instanceNames.joined(separator: ", "))
        }
        self.instance = instance
        self.map = map
        self.instanceIndex = index
        self.directory = dataDirectory + "/" + Domain.serviceName
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "mesh.service"] = "\(instance)"
        self.logger = logger
        self.core = Mutex(Core(state: Domain.initialState()))
    }

    // MARK: Recovery

    /// Opens the log and rebuilds the state: the newest usable snapshot, then every record after it.
    /// Idempotent; `run` calls it if nobody did.
    @discardableResult
    public func open() throws(HostError) -> HostRecovery {
        if let done = core.withLock({ $0.recovery }) { return done }
        let clock = SystemClock()
        let started = clock.now()
        let log: EventLog
        do {
            log = try EventLog.open(
                directory: directory, fileSystem: configuration.fileSystem, configuration: configuration.log)
        } catch {
            throw HostError(.log, "cannot open the log of \(instance) in \(directory)", cause: error)
        }
        let opened = clock.now()
        do throws(HostError) {
            var (state, ledger, from, snapshot) = try latestSnapshot(log)
            var folded = 0
            var next = from
            while true {
                let records: [LogRecord]
                do {
                    records = try log.read(from: next, limit: 4096)
                } catch {
                    throw HostError(.log, "cannot read the log of \(instance) at \(next)", cause: error)
                }
                guard let last = records.last else { break }
                for record in records {
                    let hosted: HostedRecord?
                    do {
                        hosted = try HostedRecord(record)
                        guard let hosted else { continue }
                        for event in hosted.events {
                            try Domain.apply(event, timestamp: hosted.decidedAt, to: &state)
                        }
                    } catch {
                        throw HostError(
                            .corruptRecord,
                            "\(instance): record \(record.sequence) (type \(record.type)) does not apply",
                            cause: error)
                    }
                    if let marker = hosted?.marker { ledger.markApplied(marker) }
                    folded += 1
                }
                next = last.sequence + 1
            }
            let recovery = HostRecovery(
                snapshotSequence: snapshot, recordsFolded: folded, lastSequence: log.lastSequence,
                logOpen: opened - started, fold: clock.now() - opened)
            core.withLock { c in
                c.state = state
                c.ledger = ledger
                c.log = log
                c.recovery = recovery
                c.sinceSnapshot = folded
            }
            logger.info(
                "service recovered",
                metadata: [
                    "snapshot": "\(snapshot.map(String.init) ?? "none")", "folded": "\(folded)",
                    "last": "\(log.lastSequence)", "open.ms": "\(recovery.logOpen.nanoseconds / 1_000_000)",
                    "fold.ms": "\(recovery.fold.nanoseconds / 1_000_000)",
                ])
            return recovery
        } catch {
            log.close()
            throw error
        }
    }

    /// The newest snapshot that belongs to this log and is not ahead of it (damaged ones are skipped with a
    /// warning), or the empty state; and the first sequence to fold after it.
    private func latestSnapshot(
        _ log: EventLog
    ) throws(HostError) -> (Domain.State, InboxLedger, UInt64, UInt64?) {
        let store = snapshotStore
        let candidates = (try? store.sequences()) ?? []
        for sequence in candidates where sequence <= log.lastSequence && sequence + 1 >= log.firstLocalSequence {
            do throws(HostError) {
                let snapshot = try store.load(sequence)
                guard snapshot.epoch == log.epoch, snapshot.sequence == sequence else {
                    logger.warning("snapshot of another log epoch ignored", metadata: ["sequence": "\(sequence)"])
                    continue
                }
                let state: Domain.State
                do {
                    state = try Domain.decodeSnapshot(snapshot.state[...])
                } catch {
                    throw HostError(.corruptSnapshot, "the domain cannot decode snapshot \(sequence)", cause: error)
                }
                return (state, snapshot.ledger, sequence + 1, sequence)
            } catch {
                logger.warning("snapshot skipped", metadata: ["sequence": "\(sequence)", "reason": "\(error)"])
            }
        }
        guard log.firstLocalSequence <= 1 else {
            throw HostError(
                .log,
                "\(instance): records before \(log.firstLocalSequence) were archived and no snapshot covers them")
        }
        return (Domain.initialState(), InboxLedger(), 1, nil)
    }

    var snapshotStore: SnapshotStore {
        SnapshotStore(directory: directory + "/snapshots", fileSystem: configuration.fileSystem)
    }

    // MARK: Running

    /// Opens (if needed), then appends, relays, runs `due` and writes snapshots until the task is cancelled;
    /// then refuses new work, lets queued records commit, and closes the log.
    public func run(context: HostingContext) async throws(HostError) {
        try open()
        context.register(local: self)
        await withDiscardingTaskGroup { group in
            group.addTask { await self.pump() }
            group.addTask { await self.writeSnapshots() }
            group.addTask { await self.dueLoop() }
            group.addTask { await self.superviseRelays(context) }
            await Self.sleepUntilCancelled()
            group.cancelAll()
        }
        stop()
    }

    /// Refuses new work, fails what still waits, closes the log (for `run`'s end and for tests that only `open`).
    public func stop() {
        let (waiters, log) = core.withLock { c in
            c.refusal = c.refusal ?? RPCError(.unavailable, "\(instance) is stopping")
            c.stopped = true
            c.relayRunning = false
            let waiters = c.waiters
            c.waiters = []
            return (waiters, c.log)
        }
        for w in waiters { w.continuation.resume(returning: .failure(RPCError(.unavailable, "\(instance) stopped"))) }
        doorbell.continuation.finish()
        snapshotRequests.continuation.finish()
        log?.close()
    }

    static func sleepUntilCancelled() async {
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }

    /// Appends queued records in order, many per commit, and releases their waiters once durable.
    func pump() async {
        for await _ in doorbell.stream {
            while true {
                let (records, last, log, capture) = core.withLock {
                    c -> ([NewRecord], UInt64, EventLog?, (InboxLedger, Domain.State)?) in
                    let count = min(c.queue.count, configuration.maxRecordsPerCommit)
                    let records = Array(c.queue.prefix(count))
                    c.queue.removeFirst(count)
                    c.taken += UInt64(count)
                    c.sinceSnapshot += count
                    // Everything queued is in this commit, so once it is durable the state taken now is exactly
                    // the fold of the log up to its last record.
                    var capture: (InboxLedger, Domain.State)?
                    if count > 0, c.queue.isEmpty, c.sinceSnapshot >= configuration.snapshotEvery {
                        capture = (c.ledger, c.state)
                        c.sinceSnapshot = 0
                    }
                    return (records, c.taken, c.log, capture)
                }
                guard let log, !records.isEmpty else { break }
                let sequences: [UInt64]
                do {
                    sequences = try await log.append(records)
                } catch {
                    failCommits(RPCError(.unavailable, "\(instance): append failed, restart to recover: \(error)"))
                    logger.critical("append failed: the host stops", metadata: ["error": "\(error)"])
                    return
                }
                let ready = core.withLock { c in
                    c.durable = last
                    var ready: [CheckedContinuation<Result<Void, RPCError>, Never>] = []
                    c.waiters.removeAll { w in
                        guard w.ticket <= last else { return false }
                        ready.append(w.continuation)
                        return true
                    }
                    return ready
                }
                for r in ready { r.resume(returning: .success(())) }
                if let (ledger, state) = capture, let sequence = sequences.last {
                    snapshotRequests.continuation.yield(
                        PendingSnapshot(epoch: log.epoch, sequence: sequence, ledger: ledger, state: state))
                }
            }
        }
    }

    private func failCommits(_ error: RPCError) {
        let waiters = core.withLock { c in
            c.commitFailure = error
            c.refusal = error
            defer { c.waiters = [] }
            return c.waiters
        }
        for w in waiters { w.continuation.resume(returning: .failure(error)) }
    }

    /// Waits until the record with this ticket (and every one before it) is durable.
    func durable(_ ticket: UInt64) async throws(RPCError) {
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<Void, RPCError>, Never>) in
            let now: Result<Void, RPCError>? = core.withLock { s in
                if s.durable >= ticket { return .success(()) }
                if let failure = s.commitFailure { return .failure(failure) }
                if s.log == nil || s.stopped {
                    return .failure(RPCError(.unavailable, "\(instance) stopped before the record was durable"))
                }
                s.waiters.append((ticket, c))
                return nil
            }
            if let now { c.resume(returning: now) }
        }
        try result.get()
    }

    private func ring() { doorbell.continuation.yield(()) }

    func writeSnapshots() async {
        for await pending in snapshotRequests.stream {
            do {
                try write(pending)
            } catch {
                logger.error("snapshot failed", metadata: ["sequence": "\(pending.sequence)", "error": "\(error)"])
            }
        }
    }

    private func write(_ pending: PendingSnapshot) throws(LogError) {
        let snapshot = HostSnapshot(
            epoch: pending.epoch, sequence: pending.sequence, takenAt: configuration.wallClock(),
            ledger: pending.ledger, state: Domain.encodeSnapshot(pending.state))
        try snapshotStore.store(snapshot)
        logger.debug("snapshot written", metadata: ["sequence": "\(pending.sequence)"])
    }

    /// Takes a snapshot now, once everything queued is durable; returns its sequence (nil when not open).
    @discardableResult
    public func snapshot() async throws -> UInt64? {
        while true {
            let ticket = core.withLock { $0.enqueued }
            try await durable(ticket)
            let pending = core.withLock { c -> PendingSnapshot?? in
                guard let log = c.log else { return .some(nil) }
                guard c.durable == c.enqueued else { return nil }
                c.sinceSnapshot = 0
                return PendingSnapshot(epoch: log.epoch, sequence: log.lastSequence, ledger: c.ledger, state: c.state)
            }
            guard let pending else { continue }
            guard let pending else { return nil }
            try write(pending)
            return pending.sequence
        }
    }

    func dueLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .nanoseconds(configuration.dueInterval.nanoseconds))
            let now = configuration.wallClock()
            let queued = core.withLock { c -> Bool in
                guard c.refusal == nil, c.log != nil else { return false }
                let events = Domain.due(state: c.state, now: now)
                guard !events.isEmpty, (try? c.apply(events, decidedAt: now)) != nil else { return false }
                c.enqueue(HostedRecord.batch(events, decidedAt: now))
                return true
            }
            if queued { ring() }
        }
    }

    // MARK: Commands and queries

    public func run<Request, Response>(
        _ command: HostedCommand<Domain, Request, Response>, _ request: Request
    ) async throws(RPCError) -> Response {
        try requireOwner(command.key(request), command.descriptor.path)
        let now = configuration.wallClock()
        let (response, ticket, queued) = try core.withLock {
            (c: inout Core) throws(RPCError) -> (Response, UInt64, Bool) in
            try c.requireReady()
            let decision: (response: Response, events: [DomainEvent])
            do throws(DomainRejection) {
                decision = try command.decide(request, c.state, now)
            } catch {
                throw RPCError(.failedPrecondition, "\(error.code): \(error.message)")
            }
            guard !decision.events.isEmpty else { return (decision.response, c.enqueued, false) }
            try c.apply(decision.events, decidedAt: now)
            c.enqueue(HostedRecord.batch(decision.events, decidedAt: now))
            return (decision.response, c.enqueued, true)
        }
        if queued { ring() }
        try await durable(ticket)
        return response
    }

    public func run<Request, Response>(
        _ query: HostedQuery<Domain, Request, Response>, _ request: Request
    ) async throws(RPCError) -> Response {
        if let key = query.key { try requireOwner(key(request), query.descriptor.path) }
        let now = configuration.wallClock()
        let (response, ticket) = try core.withLock { (c: inout Core) throws(RPCError) -> (Response, UInt64) in
            try c.requireReady()
            do throws(DomainRejection) {
                return (try query.answer(request, c.state, now), c.enqueued)
            } catch {
                throw RPCError(.failedPrecondition, "\(error.code): \(error.message)")
            }
        }
        try await durable(ticket)
        return response
    }

    /// Refuses a key this instance does not own.
    func requireOwner(_ key: String, _ what: String) throws(RPCError) {
        let owner = map.instanceIndex(of: key)
        guard owner == instanceIndex else {
            throw RPCError(
                .failedPrecondition,
                "\(what): key '\(key)' (partition \(map.partition(of: key))) belongs to \(map.instanceName(owner)), "
                    + "not \(instance)")
        }
    }

    // MARK: Inbox

    /// Applies a delivered batch: per event, `duplicate` if its marker is in the ledger; else the domain reacts
    /// to every subscribed event it carries (all against the state before them) and the reactions plus the
    /// marker become ONE `InboxEntry` record. Outcomes are sent once every record is durable.
    public func receive(_ request: DeliverRequest) async throws(RPCError) -> DeliverResponse {
        var outcomes: [DeliveryOutcome] = []
        var ticket: UInt64 = 0
        var queued = false
        let now = configuration.wallClock()
        for event in request.events {
            let (outcome, t, q) = try core.withLock {
                (c: inout Core) throws(RPCError) -> (DeliveryOutcome, UInt64, Bool) in
                try c.requireReady()
                if c.ledger.decide(event.id) == .duplicate { return (.duplicate, c.enqueued, false) }
                let carried: [DomainEvent]
                do {
                    carried = try HostedRecord.events(of: event)
                } catch {
                    return (
                        .rejected(reason: "\(instance) cannot decode event \(event.id): \(error)"), c.enqueued, false
                    )
                }
                let subscribed = carried.filter { Domain.subscribedEventTypes.contains($0.type) }
                for e in subscribed { try requireOwner(Domain.partitionKey(of: e), "event \(event.id)") }
                var effects: [DomainEvent] = []
                do throws(DomainRejection) {
                    for e in subscribed { effects += try Domain.react(to: e, state: c.state, now: now) }
                } catch {
                    return (.rejected(reason: "\(error.code): \(error.message)"), c.enqueued, false)
                }
                try c.apply(effects, decidedAt: now)
                c.ledger.markApplied(event.id)
                c.enqueue(HostedRecord.inboxEntry(marker: event.id, effects: effects, decidedAt: now))
                return (.applied, c.enqueued, true)
            }
            outcomes.append(outcome)
            ticket = max(ticket, t)
            queued = queued || q
        }
        if queued { ring() }
        try await durable(ticket)
        return DeliverResponse(outcomes: outcomes)
    }

    // MARK: Observation

    /// Readiness: the log is recovered, the relay runs, nothing failed.
    public var status: HostedServiceStatus {
        core.withLock { c in
            HostedServiceStatus(
                service: Domain.serviceName, instance: instance, logRecovered: c.recovery != nil,
                relayRunning: c.relayRunning, failure: c.refusal.map { "\($0)" },
                lastSequence: c.log?.lastSequence ?? 0, subscribers: c.subscribers)
        }
    }

    /// What the last `open` found (nil before).
    public var recovery: HostRecovery? { core.withLock { $0.recovery } }

    /// Reads the state (tests, operators); `body` runs under the host's lock, keep it short.
    public func withState<R: Sendable>(_ body: (Domain.State) -> R) -> R { core.withLock { body($0.state) } }

    /// The inbox's dedupe state.
    public var ledger: InboxLedger { core.withLock { $0.ledger } }

    /// The open log (nil before `open` and after `stop`).
    public var log: EventLog? { core.withLock { $0.log } }
}
