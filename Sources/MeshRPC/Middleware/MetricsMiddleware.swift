import CoreMetrics
import MeshCore
import MeshWire
import Synchronization

/// Counts calls and times them per service, method and outcome (the status code's name).
///
/// Emits `mesh_rpc_<side>_calls_total` (counter) and `mesh_rpc_<side>_duration` (timer, nanoseconds),
/// side = `server` or `client`, dimensions `service`, `method`, `outcome`. Metric objects are created once
/// per (method, outcome) and cached, so a call costs two clock reads and a dictionary lookup.
public struct MetricsMiddleware: InlineServerMiddleware, ClientMiddleware {
    private let server: Instruments
    private let client: Instruments
    private let clock: any MeshClock

    public init(factory: any MetricsFactory = MetricsSystem.factory, clock: any MeshClock = SystemClock()) {
        self.server = Instruments(side: "server", factory: factory)
        self.client = Instruments(side: "client", factory: factory)
        self.clock = clock
    }

    nonisolated(nonsending) public func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError)
        -> ServerResponse
    {
        let start = clock.now()
        do {
            let response = try await next(call)
            server.record(call.context.method, .ok, clock.now() - start)
            return response
        } catch {
            server.record(call.context.method, error.code, clock.now() - start)
            throw error
        }
    }

    public func interceptInline(_ call: ServerCall, next: InlineServerNext) throws(RPCError) -> ServerResponse {
        let start = clock.now()
        do {
            let response = try next(call)
            server.record(call.context.method, .ok, clock.now() - start)
            return response
        } catch {
            server.record(call.context.method, error.code, clock.now() - start)
            throw error
        }
    }

    nonisolated(nonsending) public func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError)
        -> ResponseHead
    {
        let start = clock.now()
        do {
            let response = try await next(call)
            recordClient(call.method, .ok, clock.now() - start)
            return response
        } catch {
            recordClient(call.method, error.code, clock.now() - start)
            throw error
        }
    }

    func recordClient(_ method: String, _ outcome: RPCStatus.Code, _ elapsed: MeshDuration) {
        client.record(method, outcome, elapsed)
    }

    func recordServer(_ method: String, _ outcome: RPCStatus.Code, _ elapsed: MeshDuration) {
        server.record(method, outcome, elapsed)
    }

    /// The metric objects of one side, per method and outcome, made on first use and then reused: a call
    /// costs one lookup by method under a lock. Sendable: mutable state is behind `Mutex`es.
    private final class Instruments: Sendable {
        struct Pair {
            let calls: CoreMetrics.Counter
            let duration: CoreMetrics.Timer

            func record(_ elapsed: MeshDuration) {
                calls.increment()
                duration.recordNanoseconds(elapsed.nanoseconds)
            }
        }

        /// One method's metrics: `ok` made up front, other outcomes when they first happen.
        final class Method: Sendable {
            let ok: Pair
            let others = Mutex<[RPCStatus.Code: Pair]>([:])
            init(ok: Pair) { self.ok = ok }

            /// Through `self`'s immutable fields: no reference count is touched.
            func recordOK(_ elapsed: MeshDuration) { ok.record(elapsed) }
        }

        let side: String
        let factory: any MetricsFactory
        /// A node calls (and serves) a few methods over and over: the table compares the method name with the
        /// last one before hashing it.
        let methods = Mutex(RecentKeyTable<String, Method>())

        init(side: String, factory: any MetricsFactory) {
            self.side = side
            self.factory = factory
        }

        func record(_ method: String, _ outcome: RPCStatus.Code, _ elapsed: MeshDuration) {
            // The common case is counted under the lock through borrowed references: no reference count of a
            // shared object is written per call (with callers on several cores, each such write moves a cache line).
            let counted =
                outcome == .ok
                && methods.withLock { methods in
                    methods.modify(method) { $0.recordOK(elapsed) } != nil
                }
            if !counted { recordFirstOrFailed(method, outcome, elapsed) }
        }

        /// A method's first call, or a call that did not end `ok`: finds or makes its metric objects.
        private func recordFirstOrFailed(_ method: String, _ outcome: RPCStatus.Code, _ elapsed: MeshDuration) {
            let entry = methods.withLock { methods in
                if let found = methods.modify(method, { $0 }) { return found }
                let made = Method(ok: pair(method, .ok))
                methods.insert(method, made)
                return made
            }
            let metrics =
                outcome == .ok
                ? entry.ok
                : entry.others.withLock { others in
                    if let found = others[outcome] { return found }
                    let made = pair(method, outcome)
                    others[outcome] = made
                    return made
                }
            metrics.record(elapsed)
        }

        private func pair(_ method: String, _ outcome: RPCStatus.Code) -> Pair {
            let service = String(MethodPath.service(of: method))
            let name = String(MethodPath.method(of: method))
            let dimensions = [("service", service), ("method", name), ("outcome", outcome.description)]
            return Pair(
                calls: CoreMetrics.Counter(
                    label: "mesh_rpc_\(side)_calls_total", dimensions: dimensions, factory: factory),
                duration: CoreMetrics.Timer(
                    label: "mesh_rpc_\(side)_duration", dimensions: dimensions, factory: factory)
            )
        }
    }
}
