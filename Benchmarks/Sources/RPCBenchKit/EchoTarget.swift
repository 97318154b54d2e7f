/// One system under test: something that can answer unary echo calls over loopback.
///
/// Lifecycle, driven by `BenchDriver`: `start()` once, then for every (payload × concurrency) cell
/// `makeClient(concurrency:)` → `EchoClient.runCell(_:)` → `EchoClient.close()`, then `stop()` once.
/// `start()` throwing `BenchError.Code.targetUnavailable` turns every cell of the target into "n/a".
public protocol EchoTarget: Sendable {
    /// Short name used by `--targets` and in the report ("grpc", "nio", "nio-async", "mesh").
    var name: String { get }
    /// Brings the server up (typically a child process) and remembers where it listens.
    func start() async throws
    /// Connects one client that will keep up to `concurrency` calls in flight.
    func makeClient(concurrency: Int) async throws -> any EchoClient
    /// Tears the server down. Safe to call when `start()` failed.
    func stop() async
    /// The server child's pid while it runs, so its CPU time can be read; nil = no separate process.
    var serverPID: Int32? { get async }
}

extension EchoTarget {
    public var serverPID: Int32? { get async { nil } }
}

/// A connected client of an `EchoTarget`: it runs whole cells. Most targets conform through `AsyncEchoClient`;
/// the bare-NIO ceiling drives its closed loop inside the event loop instead.
public protocol EchoClient: Sendable {
    /// Runs one closed-loop cell and returns the latencies of the calls that fall in its measurement window.
    func runCell(_ plan: CellPlan) async throws -> LatencySamples
    /// Closes the connection.
    func close() async
}

/// A client with an async unary call, as an application would use it (gRPC, Mesh). It gets `runCell` for free:
/// `plan.concurrency` Swift tasks calling `echo(_:)` in a closed loop (`AsyncClosedLoop`).
public protocol AsyncEchoClient: EchoClient {
    /// One unary echo call; the reply must equal `payload`. Called concurrently by up to `concurrency` tasks.
    func echo(_ payload: [UInt8]) async throws -> [UInt8]
    /// Where the closed loop's caller tasks run; nil = the global concurrent executor (the default).
    var callerExecutor: (any TaskExecutor)? { get }
}

extension AsyncEchoClient {
    public var callerExecutor: (any TaskExecutor)? { nil }

    public func runCell(_ plan: CellPlan) async throws -> LatencySamples {
        try await AsyncClosedLoop.run(plan, client: self)
    }
}
