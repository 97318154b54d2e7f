import MeshCore
import MeshLog
import MeshResilience

/// Tunables and injected effects of a `ServiceHost`.
public struct ServiceHostConfiguration: Sendable {
    /// A snapshot is taken once this many records were appended (or folded on open) since the last one.
    public var snapshotEvery: Int
    /// How often `due` is asked for events that time alone makes due.
    public var dueInterval: MeshDuration
    /// How often the relay looks at membership for new subscribing service instances.
    public var subscriberRefresh: MeshDuration
    /// Most records appended per commit of the host's append pipeline.
    public var maxRecordsPerCommit: Int
    /// The event log's own tunables.
    public var log: LogConfiguration
    /// Backoff, breaker, batch size and poll interval of each subscriber's relay loop (origin and cursor
    /// directory are set by the host).
    public var relayBatchSize: Int
    public var relayPollInterval: MeshDuration
    public var relayBackoff: Backoff
    public var relayBreaker: CircuitBreaker.Configuration
    public var relayCallTimeout: MeshDuration
    /// The time given to `decide`, `react` and `due` (ns since the Unix epoch).
    public var wallClock: @Sendable () -> Int64
    public var fileSystem: any LogFileSystem

    public init(
        snapshotEvery: Int = 50_000,
        dueInterval: MeshDuration = .milliseconds(200),
        subscriberRefresh: MeshDuration = .milliseconds(250),
        maxRecordsPerCommit: Int = 1024,
        log: LogConfiguration = LogConfiguration(),
        relayBatchSize: Int = 64,
        relayPollInterval: MeshDuration = .milliseconds(5),
        relayBackoff: Backoff = .default,
        relayBreaker: CircuitBreaker.Configuration = .default,
        relayCallTimeout: MeshDuration = .seconds(5),
        wallClock: @escaping @Sendable () -> Int64 = LogConfiguration.systemWallClock,
        fileSystem: any LogFileSystem = PosixFileSystem()
    ) {
        self.snapshotEvery = snapshotEvery
        self.dueInterval = dueInterval
        self.subscriberRefresh = subscriberRefresh
        self.maxRecordsPerCommit = maxRecordsPerCommit
        self.log = log
        self.relayBatchSize = relayBatchSize
        self.relayPollInterval = relayPollInterval
        self.relayBackoff = relayBackoff
        self.relayBreaker = relayBreaker
        self.relayCallTimeout = relayCallTimeout
        self.wallClock = wallClock
        self.fileSystem = fileSystem
    }
}
