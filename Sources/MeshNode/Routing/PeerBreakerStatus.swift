import MeshCore
import MeshWire

/// One peer's link as the operator sees it (`mesh.admin/Breakers`, `meshprobe breakers`).
public struct PeerBreakerStatus: WireMessage, Hashable {
    public var peer: String
    /// `closed`, `open`, `halfOpen`, `forcedOpen`, or `off` (breakers disabled, peer not held unavailable).
    public var state: String
    /// How long the breaker has been in `state` (zero before its first call).
    public var inState: MeshDuration
    /// Why it last changed state.
    public var reason: String
    /// Over the breaker's current window (zero outside closed).
    public var failureRate: Double
    public var slowCallRate: Double
    /// Calls that were refused or steered away from this peer because of its breaker.
    public var rejected: UInt64
    public var callsInWindow: UInt64
    /// Calls in flight to the peer.
    public var outstanding: UInt64
    /// The peer's recent latency (peak EWMA of successful calls).
    public var latency: MeshDuration
    /// Calls finished with an outcome since start, and how many of them failed.
    public var calls: UInt64
    public var failures: UInt64

    public init(
        peer: String, state: String, inState: MeshDuration, reason: String, failureRate: Double,
        slowCallRate: Double, rejected: UInt64, callsInWindow: UInt64, outstanding: UInt64, latency: MeshDuration,
        calls: UInt64, failures: UInt64
    ) {
        self.peer = peer
        self.state = state
        self.inState = inState
        self.reason = reason
        self.failureRate = failureRate
        self.slowCallRate = slowCallRate
        self.rejected = rejected
        self.callsInWindow = callsInWindow
        self.outstanding = outstanding
        self.latency = latency
        self.calls = calls
        self.failures = failures
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(
            peer: "", state: "", inState: .zero, reason: "", failureRate: 0, slowCallRate: 0, rejected: 0,
            callsInWindow: 0, outstanding: 0, latency: .zero, calls: 0, failures: 0)
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: peer = try f.string()
            case 2: state = try f.string()
            case 3: inState = .nanoseconds(try f.int())
            case 4: reason = try f.string()
            case 5: failureRate = Double(try f.uint()) / 1_000_000
            case 6: slowCallRate = Double(try f.uint()) / 1_000_000
            case 7: rejected = try f.uint()
            case 8: callsInWindow = try f.uint()
            case 9: outstanding = try f.uint()
            case 10: latency = .nanoseconds(try f.int())
            case 11: calls = try f.uint()
            case 12: failures = try f.uint()
            default: break
            }
        }
    }

    /// Rates travel as parts per million.
    public func encode(to w: inout PayloadWriter) {
        w.string(1, peer)
        w.string(2, state)
        w.int(3, inState.nanoseconds)
        w.string(4, reason)
        w.uint(5, Self.ppm(failureRate))
        w.uint(6, Self.ppm(slowCallRate))
        w.uint(7, rejected)
        w.uint(8, callsInWindow)
        w.uint(9, outstanding)
        w.int(10, latency.nanoseconds)
        w.uint(11, calls)
        w.uint(12, failures)
    }

    private static func ppm(_ rate: Double) -> UInt64 { UInt64((min(max(rate, 0), 1) * 1_000_000).rounded()) }
}

/// Every routed peer's link, as `mesh.admin/Breakers` returns it.
public struct BreakersReport: WireMessage, Hashable {
    /// The answering node.
    public var node: String
    public var peers: [PeerBreakerStatus]

    public init(node: String, peers: [PeerBreakerStatus]) {
        self.node = node
        self.peers = peers
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        self.init(node: "", peers: [])
        while let f = try r.next() {
            switch f.number {
            case 1: node = try f.string()
            case 2: peers.append(try f.message(PeerBreakerStatus.self))
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, node)
        for p in peers { w.message(2, p) }
    }
}
