import CoreMetrics
import MeshCore
import MeshWire
import Synchronization

/// Counts calls and times them per service, method and outcome (the status code's name).
///
/// Emits `mesh_rpc_<side>_calls_total` (counter) and `mesh_rpc_<side>_duration` (timer, nanoseconds),
/// side = `server` or `client`, dimensions `service`, `method`, `outcome`. Metric objects are created once
/// per (method, outcome) and cached, so a call costs two clock reads and a dictionary lookup.
public struct MetricsMiddleware: ServerMiddleware, ClientMiddleware {
    private let instruments: Instruments
    private let clock: any MeshClock

    public init(factory: any MetricsFactory = MetricsSystem.factory, clock: any MeshClock = SystemClock()) {
        self.instruments = Instruments(factory: factory)
        self.clock = clock
    }

    public func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError) -> ServerResponse {
        let start = clock.now()
        do {
            let response = try await next(call)
            instruments.record("server", call.context.method, .ok, clock.now() - start)
            return response
        } catch {
            instruments.record("server", call.context.method, error.code, clock.now() - start)
            throw error
        }
    }

    public func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError) -> ResponseHead {
        let start = clock.now()
        do {
            let response = try await next(call)
            instruments.record("client", call.method, .ok, clock.now() - start)
            return response
        } catch {
            instruments.record("client", call.method, error.code, clock.now() - start)
            throw error
        }
    }

    /// The cache of metric objects. Sendable: its only mutable state is behind a `Mutex`.
    private final class Instruments: Sendable {
        struct Key: Hashable {
            var side: String
            var method: String
            var outcome: RPCStatus.Code
        }

        let factory: any MetricsFactory
        let cache = Mutex<[Key: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])

        init(factory: any MetricsFactory) { self.factory = factory }

        func record(_ side: String, _ method: String, _ outcome: RPCStatus.Code, _ elapsed: MeshDuration) {
            let key = Key(side: side, method: method, outcome: outcome)
            let (counter, timer) = cache.withLock { cache in
                if let found = cache[key] { return found }
                let service = String(method.prefix { $0 != "/" })
                let name = String(method.drop { $0 != "/" }.dropFirst())
                let dimensions = [("service", service), ("method", name), ("outcome", outcome.description)]
                let made = (
                    CoreMetrics.Counter(label: "mesh_rpc_\(side)_calls_total", dimensions: dimensions, factory: factory),
                    CoreMetrics.Timer(label: "mesh_rpc_\(side)_duration", dimensions: dimensions, factory: factory)
                )
                cache[key] = made
                return made
            }
            counter.increment()
            timer.recordNanoseconds(elapsed.nanoseconds)
        }
    }
}
