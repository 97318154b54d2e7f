import MeshCore

/// What a `ServiceHost` did to rebuild its state on open (logged, and measured by the restart benchmark).
public struct HostRecovery: Hashable, Sendable {
    /// The snapshot it started from (nil: from the empty state).
    public var snapshotSequence: UInt64?
    /// Records folded after the snapshot.
    public var recordsFolded: Int
    /// The log's last sequence after recovery.
    public var lastSequence: UInt64
    /// `EventLog.open` (its scan of every segment included).
    public var logOpen: MeshDuration
    /// Snapshot load and fold.
    public var fold: MeshDuration
}

/// One hosted service instance as readiness sees it.
public struct HostedServiceStatus: Hashable, Sendable {
    public var service: String
    public var instance: String
    /// The log is open and the state rebuilt from it.
    public var logRecovered: Bool
    /// The relay supervisor runs (subscriber loops start as membership shows subscribers).
    public var relayRunning: Bool
    /// Why the host refuses work, if it does.
    public var failure: String?
    public var lastSequence: UInt64
    /// Subscriber instances the relay delivers to.
    public var subscribers: [String]

    /// Serving: recovered, relaying, not failed.
    public var isReady: Bool { logRecovered && relayRunning && failure == nil }
}
