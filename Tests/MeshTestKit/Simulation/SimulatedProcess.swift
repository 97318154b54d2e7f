import MeshCore

/// A sans-IO protocol core the `ClusterSimulator` can drive: it reacts to messages and timer
/// ticks at a given virtual time and says what to send and what happened.
public protocol SimulatedProcess {
    associatedtype Message
    associatedtype Event

    /// The address other processes send to.
    var address: String { get }
    /// The earliest virtual time at which `tick` has work to do.
    var nextDeadline: MeshInstant { get }
    mutating func tick(now: MeshInstant) -> SimulatedOutput<Message, Event>
    mutating func receive(_ message: Message, from address: String, now: MeshInstant) -> SimulatedOutput<Message, Event>
    /// Encoded size of a message, for the byte counters.
    static func wireSize(of message: Message) -> Int
}

/// What a process emitted in one step.
public struct SimulatedOutput<Message, Event> {
    public var sends: [(message: Message, to: String)]
    public var events: [Event]

    public init(sends: [(message: Message, to: String)] = [], events: [Event] = []) {
        self.sends = sends
        self.events = events
    }
}

/// Per-process traffic counters.
public struct SimulatedTraffic: Hashable, Sendable {
    public var messagesSent = 0
    public var bytesSent = 0
    public var messagesReceived = 0
    public var bytesReceived = 0
    /// The largest single message this process sent, in bytes.
    public var largestSent = 0

    public init() {}
}

/// Latency and loss applied to every message; per-node extra delay models slow nodes.
public struct NetworkConditions: Hashable, Sendable {
    public var baseDelay: MeshDuration
    public var jitter: MeshDuration
    public var loss: Double

    public init(
        baseDelay: MeshDuration = .microseconds(500), jitter: MeshDuration = .milliseconds(2),
        loss: Double = 0
    ) {
        self.baseDelay = baseDelay
        self.jitter = jitter
        self.loss = loss
    }
}
