import Logging
import MeshNode
import MeshRPC
import MeshTestKit
import MeshTransport
import Metrics
import NIOPosix
import Synchronization

/// A logger that prints nothing (for transports and routers whose logs a test does not look at).
let quietLogger: Logger = {
    var l = Logger(label: "test.quiet")
    l.logLevel = .critical
    return l
}()

/// A transport that only calls out (no listener), with a development certificate named `name`.
func callerTransport(
    _ name: String, roles: [String] = [], configuration: TransportConfiguration = TransportConfiguration()
) -> MeshTransport {
    MeshTransport(
        identity: DevelopmentIdentity.identity(name: name, roles: roles), router: ServiceRouter(),
        configuration: configuration, group: MultiThreadedEventLoopGroup.singleton, logger: quietLogger)
}

/// Keeps the last value of every gauge and the total of every counter, by `label{dimension values}`.
final class CapturingMetrics: MetricsFactory, Sendable {
    let values = Mutex<[String: Double]>([:])

    func value(_ label: String, peer: String) -> Double? { values.withLock { $0["\(label){\(peer)}"] } }

    private func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        "\(label){\(dimensions.map(\.1).joined(separator: ","))}"
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        Handler(key: key(label, dimensions), owner: self, accumulate: true)
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        Handler(key: key(label, dimensions), owner: self, accumulate: false)
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        Handler(key: key(label, dimensions), owner: self, accumulate: false)
    }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    final class Handler: CounterHandler, RecorderHandler, TimerHandler, Sendable {
        let key: String
        let owner: CapturingMetrics
        let accumulate: Bool
        init(key: String, owner: CapturingMetrics, accumulate: Bool) {
            self.key = key
            self.owner = owner
            self.accumulate = accumulate
        }
        func set(_ v: Double) { owner.values.withLock { $0[key] = accumulate ? ($0[key] ?? 0) + v : v } }
        func increment(by amount: Int64) { set(Double(amount)) }
        func reset() { owner.values.withLock { $0[key] = 0 } }
        func record(_ value: Int64) { set(Double(value)) }
        func record(_ value: Double) { set(value) }
        func recordNanoseconds(_ duration: Int64) { set(Double(duration)) }
    }
}
