import Glibc
import MeshRPC
import MeshTransport
import MeshWire
import NIOCore
import RPCBenchKit

/// `mesh-future`: the same Mesh connection, driven like the bare-NIO ceiling's client — the closed loop runs on
/// the connection's event loop with `MeshConnection.makeCall` futures, so no call crosses into Swift concurrency.
/// Against `nio` it isolates what the protocol itself costs (sealing, framing, multiplexing, deadlines); against
/// `mesh` it shows what one task hop per call costs.
struct MeshEventLoopClient: EchoClient {
    let transport: MeshTransport
    let connection: MeshConnection

    func runCell(_ plan: CellPlan) async throws -> LatencySamples {
        let loop = connection.eventLoop
        let promise = loop.makePromise(of: LatencySamples.self)
        let connection = self.connection
        loop.execute { MeshEventLoopClosedLoop(connection: connection, plan: plan, promise: promise).start() }
        return try await promise.futureResult.get()
    }

    func close() async {
        await connection.close(grace: .seconds(1))
        await transport.shutdown()
    }
}

/// One cell's closed loop. Lives on the connection's event loop only: created, run and completed there.
/// Invariant: each of `plan.concurrency` slots has at most one call in flight.
final class MeshEventLoopClosedLoop {
    private let connection: MeshConnection
    private let payload: [UInt8]
    private let window: MeasurementWindow
    private let concurrency: Int
    private let promise: EventLoopPromise<LatencySamples>
    private var samples = LatencySamples()
    private var inFlight = 0
    private var failed = false

    init(connection: MeshConnection, plan: CellPlan, promise: EventLoopPromise<LatencySamples>) {
        self.connection = connection
        self.payload = plan.makePayload()
        self.window = plan.window(startingAt: MonotonicClock.nowNanos())
        self.concurrency = plan.concurrency
        self.promise = promise
    }

    func start() {
        for _ in 0..<concurrency { send(at: MonotonicClock.nowNanos()) }
    }

    private func send(at sentAt: UInt64) {
        inFlight += 1
        let bound = NIOLoopBound(self, eventLoop: connection.eventLoop)
        let options = CallOptions(timeout: .seconds(10))
        connection.makeCall(method: MeshEchoTarget.echo.path, payload: payload, options: options)
            .whenComplete { result in bound.value.completed(result, sentAt: sentAt) }
    }

    private func completed(_ result: Result<ResponseHead, any Error>, sentAt: UInt64) {
        let receivedAt = MonotonicClock.nowNanos()
        inFlight -= 1
        switch result {
        case .success(let head) where head.status.code == .ok && Self.sameBytes(head.payload, payload):
            if window.counts(sentAt: sentAt, receivedAt: receivedAt) { samples.record(receivedAt - sentAt) }
        case .success(let head):
            fail(
                BenchError(
                    .badEcho, "reply with status \(head.status) and \(head.payload.count) B differs from the request"))
        case .failure(let error):
            fail(BenchError(.connectionClosed, "call failed", cause: error))
        }
        if failed { return }
        if window.isOpen(at: receivedAt) {
            send(at: receivedAt)
        } else if inFlight == 0 {
            promise.succeed(samples)
        }
    }

    /// memcmp, as the bare-NIO client's `ByteBuffer ==` (a generic `elementsEqual` costs more than the call).
    private static func sameBytes(_ a: ArraySlice<UInt8>, _ b: [UInt8]) -> Bool {
        guard a.count == b.count, !a.isEmpty else { return a.count == b.count }
        return a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
        }
    }

    private func fail(_ error: BenchError) {
        guard !failed else { return }
        failed = true
        promise.fail(error)
    }
}
