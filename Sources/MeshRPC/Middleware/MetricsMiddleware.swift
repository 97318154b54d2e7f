import CoreMetrics
import MeshCore
import MeshWire
import Synchronization

/// Counts calls and times them per service, method and outcome (the status code's name).
///
/// Emits `mesh_rpc_<side>_calls_total` (counter) and `mesh_rpc_<side>_duration` (timer, nanoseconds),
/// side = `server` or `client`, dimensions `service`, `method`, `outcome`. Metric objects are created once
/// per (method, outcome) and cached, so an `ok` call to a known method costs two clock reads and a lookup that
/// takes no lock.
public struct MetricsMiddleware: InlineServerMiddleware, ClientMiddleware {
    /// The server side's and client side's metric objects (the standard steps hold them directly).
    let server: Instruments
    let client: Instruments
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
            client.record(call.method, .ok, clock.now() - start)
            return response
        } catch {
            client.record(call.method, error.code, clock.now() - start)
            throw error
        }
    }

    /// The metric objects of one side, per method and outcome, made on first use and then reused: an `ok` call to a
    /// known method costs one lookup by method, without a lock. Sendable: mutable state is atomic or behind `Mutex`es.
    final class Instruments: Sendable {
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
        /// The methods seen so far, read without a lock or a reference count (with callers on several cores, each
        /// write of a shared lock word or count moves a cache line between them). Replaced, never changed, when a
        /// method is first seen; every table ever published stays alive in `tables`, so a reader holding an older
        /// one (unretained) is safe.
        private let current = Atomic<Unmanaged<MethodTable>?>(nil)
        private let tables = Mutex<[MethodTable]>([])

        init(side: String, factory: any MetricsFactory) {
            self.side = side
            self.factory = factory
        }

        func record(_ method: String, _ outcome: RPCStatus.Code, _ elapsed: MeshDuration) {
            // The common case: an `ok` call to a method seen before, counted through borrowed references.
            if outcome == .ok, let table = current.load(ordering: .acquiring),
                table._withUnsafeGuaranteedRef({ $0.recordOK(method, elapsed) })
            {
                return
            }
            recordFirstOrFailed(method, outcome, elapsed)
        }

        /// A method's first call, or a call that did not end `ok`: finds or makes its metric objects.
        private func recordFirstOrFailed(_ method: String, _ outcome: RPCStatus.Code, _ elapsed: MeshDuration) {
            let entry = tables.withLock { tables in
                if let found = tables.last?.method(method) { return found }
                let made = Method(ok: pair(method, .ok))
                let table = MethodTable(adding: (method, made), to: tables.last)
                tables.append(table)
                current.store(Unmanaged.passUnretained(table), ordering: .releasing)
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

        /// An immutable table of methods: a few are compared one by one (no hashing), many are looked up by hash.
        final class MethodTable: Sendable {
            let names: [String]
            let methods: [Method]
            let index: [String: Int]

            init(adding entry: (String, Method), to previous: MethodTable?) {
                names = (previous?.names ?? []) + [entry.0]
                methods = (previous?.methods ?? []) + [entry.1]
                index = names.count > 8 ? Dictionary(uniqueKeysWithValues: zip(names, names.indices)) : [:]
            }

            func method(_ name: String) -> Method? { position(name).map { methods[$0] } }

            /// Counts an `ok` call of `name` if the table has it; false if not.
            func recordOK(_ name: String, _ elapsed: MeshDuration) -> Bool {
                guard let i = position(name) else { return false }
                methods[i].recordOK(elapsed)
                return true
            }

            private func position(_ name: String) -> Int? {
                if names.count > 8 { return index[name] }
                for i in names.indices where names[i] == name { return i }
                return nil
            }
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
