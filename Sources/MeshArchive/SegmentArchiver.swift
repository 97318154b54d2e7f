import Logging
import MeshCore
import MeshLog
import MeshResilience
import Synchronization

/// Moves a log's sealed segments to one or more destinations in the background, never in the way of appends.
///
/// - The queue is the log's own sealed segments on disk: nothing is copied ahead, so memory holds at most one
///   segment at a time, and wake-ups (`segmentsMayHaveSealed`) coalesce into one pending signal. Appends never wait
///   for the archiver: it reads sealed files (which never change) and takes the log's index lock only to drop a
///   segment it has archived.
/// - A segment leaves the local directory only after every destination verified its copy, oldest first, so the
///   local log never has a gap; if the process dies in between, the next pass finds the copies (`.alreadyStored`)
///   and finishes. Destinations are idempotent, so nothing is stored twice.
/// - Each destination sits behind a `CircuitBreaker`; a failed store is retried with `Backoff` (full jitter). When a
///   store is down the pass stops, the segments wait locally, and the backlog says so; passes resume by themselves.
public final class SegmentArchiver: Sendable {
    public struct Configuration: Sendable {
        /// Which sealed segments leave; the default archives every sealed segment.
        public var retention: RetentionPolicy
        /// How often to look for newly sealed segments when not woken.
        public var pollInterval: MeshDuration
        /// Attempts per segment and destination within one pass.
        public var attemptsPerSegment: Int
        /// Delay between attempts, and between passes that failed (the attempt count grows per failed pass).
        public var backoff: Backoff
        public var breaker: CircuitBreaker.Configuration

        public init(
            retention: RetentionPolicy = RetentionPolicy(maxAge: .zero),
            pollInterval: MeshDuration = .milliseconds(1_000),
            attemptsPerSegment: Int = 3,
            backoff: Backoff = Backoff(initial: .milliseconds(200), multiplier: 2, max: .milliseconds(30_000)),
            breaker: CircuitBreaker.Configuration = CircuitBreaker.Configuration(
                window: .count(10), minimumCalls: 3, openWait: .milliseconds(2_000), maxOpenWait: .milliseconds(60_000),
                halfOpenPermits: 1
            )
        ) {
            self.retention = retention
            self.pollInterval = pollInterval
            self.attemptsPerSegment = max(1, attemptsPerSegment)
            self.backoff = backoff
            self.breaker = breaker
        }
    }

    public let log: EventLog
    public let destinations: [any SegmentArchiveDestination]
    public let configuration: Configuration
    private let clock: any MeshClock
    private let logger: Logger
    /// One breaker per destination, same order.
    private let breakers: Mutex<[CircuitBreaker]>
    private let state = Mutex(ArchiveBacklog())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    public init(
        log: EventLog,
        destinations: [any SegmentArchiveDestination],
        configuration: Configuration = Configuration(),
        clock: any MeshClock = SystemClock(),
        logger: Logger
    ) throws(ResilienceConfigurationError) {
        try configuration.backoff.validate()
        let now = clock.now()
        var breakers: [CircuitBreaker] = []
        for _ in destinations { breakers.append(try CircuitBreaker(configuration: configuration.breaker, now: now)) }
        self.log = log
        self.destinations = destinations
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.breakers = Mutex(breakers)
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the running archiver to look for sealed segments now (cheap; never blocks).
    public func segmentsMayHaveSealed() { wake.yield() }

    /// The backlog now: pending segments are read from the log's index.
    public var backlog: ArchiveBacklog {
        var backlog = state.withLock { $0 }
        let pending = (try? log.sealedSegments(chosenBy: configuration.retention)) ?? []
        backlog.pendingSegments = pending.count
        backlog.pendingBytes = pending.reduce(0) { $0 + $1.bytes }
        backlog.oldestPendingSequence = pending.first?.baseSequence ?? log.firstLocalSequence
        let now = clock.now()
        let states = breakers.withLock { $0.map { $0.snapshot(now: now).state.description } }
        for (destination, state) in zip(destinations, states) { backlog.breakers[destination.description] = state }
        return backlog
    }

    /// Archives until cancelled: a pass whenever woken or every `pollInterval`; after a failed pass, waits a
    /// backoff delay (growing with consecutive failures) before the next.
    public func run() async {
        var failedPasses = 0
        var rng = SystemRandomNumberGenerator()
        while !Task.isCancelled {
            let result = await archivePass()
            let wait: MeshDuration
            if result.failure != nil {
                failedPasses += 1
                wait = max(configuration.backoff.delay(attempt: failedPasses - 1, using: &rng), result.retryAfter ?? .zero)
            } else {
                failedPasses = 0
                wait = configuration.pollInterval
            }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await Task.sleep(nanoseconds: UInt64(max(0, wait.nanoseconds))) }
                if result.failure == nil {
                    // A wake-up that arrived during the pass is still buffered: the next pass starts at once.
                    group.addTask { [wakeups] in
                        for await _ in wakeups { break }
                    }
                }
                _ = await group.next()
                group.cancelAll()
            }
        }
    }

    /// What one pass did.
    public struct PassResult: Sendable {
        public var archived: [ArchivedSegment] = []
        public var alreadyStored = 0
        /// Why the pass stopped early (the segments from there on wait locally).
        public var failure: (any Error & Sendable)?
        /// When a breaker will admit a call again, if it rejected one.
        public var retryAfter: MeshDuration?
    }

    /// Archives every segment the retention policy selects, oldest first, stopping at the first segment that cannot
    /// be stored everywhere.
    public func archivePass() async -> PassResult {
        var result = PassResult()
        let chosen: [SegmentInfo]
        do {
            chosen = try log.sealedSegments(chosenBy: configuration.retention)
        } catch {
            result.failure = error
            return result
        }
        for info in chosen {
            if Task.isCancelled { break }
            do {
                let (archived, alreadyEverywhere) = try await archive(info, &result)
                result.archived.append(archived)
                if alreadyEverywhere { result.alreadyStored += 1 }
                state.withLock {
                    $0.archivedSegments += 1
                    $0.archivedBytes += archived.bytes
                    if alreadyEverywhere { $0.alreadyStoredSegments += 1 }
                    $0.lastError = nil
                }
            } catch {
                result.failure = error
                state.withLock { $0.lastError = "\(error)" }
                logger.warning(
                    "archiving stopped; segments wait locally",
                    metadata: ["mesh.segment": "\(info.name)", "mesh.error": "\(error)"]
                )
                break
            }
        }
        return result
    }

    /// Stores one segment in every destination (each with retries behind its breaker), then drops it locally.
    private func archive(_ info: SegmentInfo, _ result: inout PassResult) async throws -> (ArchivedSegment, Bool) {
        let segment = try log.readSealedSegment(info)
        var alreadyEverywhere = true
        for (i, destination) in destinations.enumerated() {
            let outcome = try await storeWithRetries(segment, destination, breakerAt: i, &result)
            if outcome == .stored { alreadyEverywhere = false }
        }
        let archived = try log.removeArchivedSegment(segment)
        logger.debug(
            "archived segment",
            metadata: ["mesh.segment": "\(info.name)", "mesh.records": "\(info.recordCount)"]
        )
        return (archived, alreadyEverywhere)
    }

    private func storeWithRetries(
        _ segment: SealedSegment,
        _ destination: any SegmentArchiveDestination,
        breakerAt i: Int,
        _ result: inout PassResult
    ) async throws -> ArchiveStoreOutcome {
        var rng = SystemRandomNumberGenerator()
        var attempt = 0
        while true {
            let now = clock.now()
            let permit: BreakerPermit
            switch breakers.withLock({ $0[i].tryAcquire(now: now) }) {
            case .success(let p):
                permit = p
            case .failure(let rejection):
                result.retryAfter = rejection.retryAfter
                throw ArchiveError(.unavailable, "\(destination.description): \(rejection)")
            }
            do {
                let outcome = try await destination.store(segment)
                _ = breakers.withLock { $0[i].record(permit, outcome: .success, now: clock.now()) }
                return outcome
            } catch {
                let kind = (error as? ArchiveError)?.failureKind
                let outcome: CallOutcome = kind.map { .failure($0) } ?? .ignored
                _ = breakers.withLock { $0[i].record(permit, outcome: outcome, now: clock.now()) }
                attempt += 1
                guard kind != nil, attempt < configuration.attemptsPerSegment, !Task.isCancelled else { throw error }
                let delay = configuration.backoff.delay(attempt: attempt - 1, using: &rng)
                try? await Task.sleep(nanoseconds: UInt64(max(0, delay.nanoseconds)))
            }
        }
    }
}
