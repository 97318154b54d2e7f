import MeshCore
import MeshRPC
import MeshWire
import Synchronization

/// A fault-injection service for resilience tests and demos (`meshnode run --test-echo`; never on by default):
/// `test/Echo` returns its request after the current delay, `test/SetDelay` sets that delay at runtime.
public enum TestEchoService {
    public static let echo = MethodDescriptor<RawMessage, RawMessage>.query(service: "test", method: "Echo")
    /// Sets the delay (`EchoDelay`) and returns the previous one.
    public static let setDelay = MethodDescriptor<EchoDelay, EchoDelay>.command(service: "test", method: "SetDelay")

    /// Registers both methods on `router`, sharing one delay switch.
    public static func register(on router: inout ServiceRouter) {
        let delay = Mutex<MeshDuration>(.zero)
        router.register(echo) { request, _ in
            let wait = delay.withLock { $0 }
            if wait > .zero { try await Task.sleep(for: .nanoseconds(wait.nanoseconds)) }
            return request
        }
        router.register(setDelay) { request, _ in
            EchoDelay(
                delay.withLock { d in
                    defer { d = request.delay }
                    return d
                })
        }
    }
}

/// The echo delay of `TestEchoService`.
public struct EchoDelay: WireMessage, Hashable {
    public var delay: MeshDuration

    public init(_ delay: MeshDuration) { self.delay = delay }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        delay = .zero
        while let f = try r.next() {
            if f.number == 1 { delay = .nanoseconds(try f.int()) }
        }
    }

    public func encode(to w: inout PayloadWriter) { w.int(1, delay.nanoseconds) }
}
