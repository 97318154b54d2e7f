import Logging
import MeshCore
import MeshLog
import MeshRPC
import MeshResilience
import MeshSaga
import MeshTransport
import Metrics
import Synchronization

/// Relays events from this node's log to subscribers with `mesh.outbox/Deliver` (or the subscriber's method).
///
/// Invariants, per subscriber:
/// - One batch in flight at a time, in log order, so events of one stream key arrive in order.
/// - The cursor (every subscribed record up to it is settled) only moves after the subscriber answered for
///   every event of a batch and any dead letters of that batch are durable; it is persisted before the next
///   batch is sent, so a restarted relay redelivers at most the one unacknowledged batch.
/// - A failed call is retried after `backoff` (full jitter, capped); while the subscriber's breaker is open,
///   no call is sent at all.
/// - An event the subscriber rejects goes to a dead-letter record (stream `deadLetterStreamKey(subscriber)`)
///   with the reason, is logged and counted, and the relay moves on.
public final class OutboxRelay: Sendable {
    public let log: EventLog
    public let subscribers: [OutboxSubscriber]
    let transport: MeshTransport
    let configuration: OutboxConfiguration
    let cursors: CursorStore
    let logger: Logger
    let state: Mutex<[String: SubscriberState]>

    struct SubscriberState {
        var stats: OutboxSubscriberStats
        var breaker: CircuitBreaker
    }

    /// Validates the subscribers and loads their persisted cursors.
    public init(
        log: EventLog,
        transport: MeshTransport,
        subscribers: [OutboxSubscriber],
        configuration: OutboxConfiguration,
        logger: Logger = Logger(label: "mesh.outbox")
    ) throws(OutboxError) {
        self.log = log
        self.transport = transport
        self.subscribers = subscribers
        self.configuration = configuration
        self.logger = logger
        let cursors = CursorStore(
            directory: configuration.cursorDirectory, fileSystem: configuration.fileSystem, epoch: log.epoch
        )
        self.cursors = cursors
        var states: [String: SubscriberState] = [:]
        let now = configuration.clock.now()
        for subscriber in subscribers {
            guard subscriber.hasSafeName, states[subscriber.name] == nil else {
                throw OutboxError(
                    .invalidSubscriber, "subscriber name '\(subscriber.name)' is empty, unsafe or used twice"
                )
            }
            let breaker: CircuitBreaker
            do {
                breaker = try CircuitBreaker(configuration: configuration.breaker, now: now)
            } catch {
                throw OutboxError(.invalidSubscriber, "invalid breaker configuration", cause: error)
            }
            var stats = OutboxSubscriberStats()
            stats.cursor = try cursors.load(subscriber.name)
            states[subscriber.name] = SubscriberState(stats: stats, breaker: breaker)
        }
        self.state = Mutex(states)
    }

    /// The log stream holding a subscriber's dead letters.
    public static func deadLetterStreamKey(_ subscriber: String) -> String { "mesh.outbox.dead-letter/" + subscriber }

    /// Counters of `subscriber` (nil for an unknown name).
    public func stats(_ subscriber: String) -> OutboxSubscriberStats? { state.withLock { $0[subscriber]?.stats } }

    /// Dead letters recorded for `subscriber`, or for every configured subscriber, oldest first per subscriber.
    public func deadLetters(subscriber: String? = nil) throws(OutboxError) -> [DeadLetter] {
        var letters: [DeadLetter] = []
        for name in subscriber.map({ [$0] }) ?? subscribers.map(\.name) {
            let records: [LogRecord]
            do {
                records = try log.read(streamKey: Self.deadLetterStreamKey(name))
            } catch {
                throw OutboxError(.log, "cannot read dead letters of \(name)", cause: error)
            }
            for record in records where record.type == DeadLetter.recordType {
                do {
                    letters.append(try DeadLetter(decoding: record.payload))
                } catch {
                    throw OutboxError(.corruptRecord, "dead letter at sequence \(record.sequence)", cause: error)
                }
            }
        }
        return letters
    }

    /// Relays to every subscriber until the calling task is cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for (position, subscriber) in subscribers.enumerated() {
                group.addTask { await self.relay(subscriber, seed: self.configuration.seed &+ UInt64(position)) }
            }
        }
    }

    // MARK: One subscriber

    private func relay(_ subscriber: OutboxSubscriber, seed: UInt64) async {
        var rng = SeededRandom(seed: seed)
        var scanned = stats(subscriber.name)?.cursor ?? 0
        var failures = 0
        while !Task.isCancelled {
            let batch: (events: [LogRecord], scanEnd: UInt64)
            do {
                batch = try nextBatch(subscriber, after: scanned)
            } catch {
                logger.error(
                    "outbox cannot read the log", metadata: ["subscriber": "\(subscriber.name)", "error": "\(error)"]
                )
                await pause(configuration.backoff.delay(attempt: failures, using: &rng))
                failures += 1
                continue
            }
            if batch.events.isEmpty {
                scanned = batch.scanEnd
                await pause(configuration.pollInterval)
                continue
            }
            let admitted = state.withLock { s -> Result<BreakerPermit, BreakerRejection> in
                let result = s[subscriber.name]!.breaker.tryAcquire(now: configuration.clock.now())
                switch result {
                case .success: s[subscriber.name]!.stats.attempts += 1
                case .failure: s[subscriber.name]!.stats.breakerRejections += 1
                }
                return result
            }
            let permit: BreakerPermit
            switch admitted {
            case .success(let p): permit = p
            case .failure(let rejection):
                await pause(min(rejection.retryAfter ?? configuration.pollInterval, configuration.backoff.max))
                continue
            }
            let request = DeliverRequest(events: batch.events.map(deliveredEvent))
            let outcome: Result<DeliverResponse, RPCError>
            do {
                outcome = .success(try await deliver(request, to: subscriber))
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let response):
                guard
                    let settlement = BatchSettlement(
                        subscriber: subscriber.name, events: request.events, outcomes: response.outcomes
                    )
                else {
                    record(subscriber, permit, .failure(.serverError))
                    logger.warning(
                        "subscriber answered \(response.outcomes.count) outcomes for \(batch.events.count) events",
                        metadata: ["subscriber": "\(subscriber.name)"]
                    )
                    await pause(configuration.backoff.delay(attempt: failures, using: &rng))
                    failures += 1
                    continue
                }
                record(subscriber, permit, .success)
                do {
                    try await settle(subscriber, settlement, upTo: batch.scanEnd)
                    scanned = batch.scanEnd
                    failures = 0
                } catch {
                    logger.error(
                        "outbox cannot settle a batch",
                        metadata: ["subscriber": "\(subscriber.name)", "error": "\(error)"]
                    )
                    await pause(configuration.backoff.delay(attempt: failures, using: &rng))
                    failures += 1
                }
            case .failure(let error):
                if Task.isCancelled {
                    record(subscriber, permit, .ignored)
                    return
                }
                record(subscriber, permit, .failure(Self.failureKind(error)))
                logger.debug("delivery failed", metadata: ["subscriber": "\(subscriber.name)", "error": "\(error)"])
                await pause(configuration.backoff.delay(attempt: failures, using: &rng))
                failures += 1
            }
        }
    }

    /// Up to `batchSize` subscribed records after `sequence`, and the last sequence examined (which the cursor
    /// may move to once they are settled).
    private func nextBatch(
        _ subscriber: OutboxSubscriber,
        after sequence: UInt64
    ) throws(LogError) -> (events: [LogRecord], scanEnd: UInt64) {
        var events: [LogRecord] = []
        var scanEnd = sequence
        while events.count < configuration.batchSize {
            let records = try log.read(from: scanEnd + 1, limit: configuration.scanLimit)
            if records.isEmpty { break }
            for record in records {
                scanEnd = record.sequence
                if let selected = subscriber.selected(record) {
                    events.append(selected)
                    if events.count == configuration.batchSize { break }
                }
            }
        }
        return (events, scanEnd)
    }

    /// One attempt: to the subscriber's current route; no route is `unavailable` (retried, never redirected).
    private func deliver(_ request: DeliverRequest, to subscriber: OutboxSubscriber) async throws(RPCError)
        -> DeliverResponse
    {
        switch subscriber.route() {
        case .remote(let address):
            return try await transport.call(
                subscriber.method, request, at: address, options: CallOptions(timeout: configuration.callTimeout)
            )
        case .local(let receive):
            return try await receive(request)
        case nil:
            throw RPCError(.unavailable, "subscriber \(subscriber.name) has no known address")
        }
    }

    private func deliveredEvent(_ record: LogRecord) -> DeliveredEvent {
        DeliveredEvent(
            id: EventID(origin: EventOrigin(node: configuration.origin, epoch: log.epoch), sequence: record.sequence),
            type: record.type, streamKey: record.streamKey, payload: record.payload
        )
    }

    /// Makes the rejected events' dead letters durable, then persists the cursor at `scanEnd`.
    private func settle(
        _ subscriber: OutboxSubscriber,
        _ settlement: BatchSettlement,
        upTo scanEnd: UInt64
    ) async throws(OutboxError) {
        let letters = settlement.deadLetters
        if !letters.isEmpty {
            let key = Self.deadLetterStreamKey(subscriber.name)
            do {
                _ = try await log.append(
                    letters.map { NewRecord(type: DeadLetter.recordType, streamKey: key, payload: $0.encoded()) }
                )
            } catch {
                throw OutboxError(.log, "cannot record dead letters for \(subscriber.name)", cause: error)
            }
            for letter in letters {
                logger.warning(
                    "event dead-lettered",
                    metadata: [
                        "subscriber": "\(subscriber.name)", "sequence": "\(letter.sequence)",
                        "stream": "\(letter.streamKey)", "reason": "\(letter.reason)",
                    ]
                )
            }
            Counter(label: "mesh_outbox_dead_letters_total", dimensions: [("subscriber", subscriber.name)])
                .increment(by: letters.count)
        }
        try cursors.store(subscriber.name, scanEnd)
        state.withLock { s in
            s[subscriber.name]!.stats.cursor = scanEnd
            s[subscriber.name]!.stats.acknowledged += settlement.acknowledged.count
            s[subscriber.name]!.stats.deadLettered += letters.count
        }
    }

    private func record(_ subscriber: OutboxSubscriber, _ permit: BreakerPermit, _ outcome: CallOutcome) {
        let transitions = state.withLock { s in
            s[subscriber.name]!.breaker.record(permit, outcome: outcome, now: configuration.clock.now())
        }
        for transition in transitions {
            logger.info(
                "outbox breaker", metadata: ["subscriber": "\(subscriber.name)", "transition": "\(transition)"])
        }
    }

    /// How a failed `Deliver` call reflects on the subscriber's health.
    static func failureKind(_ error: RPCError) -> FailureKind {
        switch error.code {
        case .deadlineExceeded: .timeout
        case .resourceExhausted: .overloaded
        case .unavailable: .unavailable
        default: .serverError
        }
    }

    private func pause(_ duration: MeshDuration) async {
        try? await Task.sleep(for: .nanoseconds(max(duration.nanoseconds, 1_000_000)))
    }
}
