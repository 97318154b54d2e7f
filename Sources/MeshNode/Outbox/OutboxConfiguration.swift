import MeshCore
import MeshLog
import MeshResilience

/// Tunables and injected effects of an `OutboxRelay`.
public struct OutboxConfiguration: Sendable {
    /// This node's name, sent as the events' origin.
    public var origin: NodeName
    /// Where the per-subscriber cursor files live.
    public var cursorDirectory: String
    /// Most events per `Deliver` call.
    public var batchSize: Int
    /// Most log records scanned per read while looking for subscribed events.
    public var scanLimit: Int
    /// Delay before retry `n` after a failed delivery: full jitter under `min(max, initial·multiplier^n)`.
    public var backoff: Backoff
    /// One breaker per subscriber; while it is open the relay sends nothing to that subscriber.
    public var breaker: CircuitBreaker.Configuration
    /// How often an idle subscriber loop looks for new records.
    public var pollInterval: MeshDuration
    /// Deadline of one `Deliver` call.
    public var callTimeout: MeshDuration
    public var clock: any MeshClock
    public var fileSystem: any LogFileSystem
    /// Seed of the jitter generator.
    public var seed: UInt64

    public init(
        origin: NodeName,
        cursorDirectory: String,
        batchSize: Int = 64,
        scanLimit: Int = 1024,
        backoff: Backoff = .default,
        breaker: CircuitBreaker.Configuration = .default,
        pollInterval: MeshDuration = .milliseconds(20),
        callTimeout: MeshDuration = .seconds(5),
        clock: any MeshClock = SystemClock(),
        fileSystem: any LogFileSystem = PosixFileSystem(),
        seed: UInt64 = UInt64.random(in: 0...UInt64.max)
    ) {
        self.origin = origin
        self.cursorDirectory = cursorDirectory
        self.batchSize = batchSize
        self.scanLimit = scanLimit
        self.backoff = backoff
        self.breaker = breaker
        self.pollInterval = pollInterval
        self.callTimeout = callTimeout
        self.clock = clock
        self.fileSystem = fileSystem
        self.seed = seed
    }
}

/// Counters of one subscriber's relay loop (for operators and tests).
public struct OutboxSubscriberStats: Hashable, Sendable {
    /// `Deliver` calls sent (each attempt counts, successful or not).
    public var attempts = 0
    /// Events acknowledged as applied or duplicate.
    public var acknowledged = 0
    /// Events moved to dead letters.
    public var deadLettered = 0
    /// Times the breaker refused to let a call through.
    public var breakerRejections = 0
    /// The persisted cursor: every subscribed event up to this log sequence is settled.
    public var cursor: UInt64 = 0

    public init() {}
}
