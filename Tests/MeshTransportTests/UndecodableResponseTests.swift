import Logging
import MeshCore
import MeshCrypto
import MeshRPC
import MeshTestKit
import MeshTransport
import MeshWire
import Testing

/// proto-spec/rpc.md: a response body that does not decode is a stream-level error. The caller fails that
/// call (and only it) with `internal`, logs a warning, and keeps the connection open.
@Suite("Undecodable response bodies over real sockets")
struct UndecodableResponseTests {
    /// Field 2 (the status message) announces 5 bytes; 1 follows.
    static let malformedResponse: [UInt8] = [0x12, 0x05, 0x61]
    static let wireError = WireError(.truncatedPayload, "bytes field 2 needs 5 bytes but 1 remain")
    /// A request with this payload is answered with `malformedResponse`; every other one is echoed.
    static let badMarker: [UInt8] = [0xBA, 0xD0]

    @Test func aMalformedResponseFailsOnlyItsCallWithInternalAndTheConnectionStaysOpen() async throws {
        try await withEventLoopGroup { group in
            let cluster = TestCluster()
            let events = EventLog()
            let records = Recorder<CapturingLogHandler.Record>()
            let client = MeshTransport(
                identity: cluster.identity("client-1"), router: ServiceRouter(), group: group,
                logger: Logger(label: "mesh.test.client") { _ in CapturingLogHandler(records: records) },
                onEvent: { events.record($0) })
            let listener = try RawListener()
            let port = listener.port
            let scripted = UncheckedBox(listener)
            let serverIdentity = cluster.identity("server-raw")
            let requestsSeen = Counter()
            async let answered = onOwnThread {
                Result { try Self.serve(scripted.value, as: serverIdentity, requestsSeen: requestsSeen) }
            }

            let c = try await client.connect(to: loopback(port))
            let bad = Task { try await c.call(Echo.inline, RawMessage(Self.badMarker)) }
            for _ in 0..<200 where requestsSeen.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
            let good = Task { try await c.call(Echo.inline, RawMessage([1])) }  // in flight with the bad one

            let badResult = await bad.result
            guard case .failure(let error as RPCError) = badResult else {
                Issue.record("expected an internal RPCError, got \(badResult)")
                return
            }
            #expect(error.code == .internal)
            #expect(
                error.message
                    == "response on stream 1 does not decode: truncatedPayload: bytes field 2 needs 5 bytes but 1 remain"
            )
            #expect(error.cause as? WireError == Self.wireError)
            #expect(try await good.value.bytes == [1])
            // A late response with a bad body (stream 1 is finished) is discarded; the next call is served.
            #expect(try await c.call(Echo.inline, RawMessage([2])).bytes == [2])

            #expect(client.connections.count == 1)
            #expect(client.connections.first === c)
            #expect(events.closeErrors.isEmpty)
            let warnings = records.all.filter { $0.level >= .warning }
            #expect(warnings.map(\.message) == ["call failed: its response body does not decode"])
            #expect(warnings.first?.metadata["mesh.stream"] == "1")
            #expect(warnings.first?.metadata["error"] == "\(Self.wireError)")
            await client.shutdown()
            #expect(try await answered.get() == [1, 3, 1, 5])
        }
    }

    /// The scripted server: reads two requests (both in flight), answers the one carrying `badMarker`
    /// with `malformedResponse`, echoes the other, sends `malformedResponse` again on the finished
    /// stream 1, then echoes one more request and waits for the client to close.
    /// Returns the streams it answered, in order.
    static func serve(_ listener: RawListener, as identity: NodeIdentity, requestsSeen: Counter) throws -> [UInt32] {
        let raw = try listener.accept()
        _ = try raw.acceptHandshake(as: identity, now: wallNow())
        var answered: [UInt32] = []
        func answer(_ stream: UInt32, _ head: RequestHead) throws {
            let body =
                Array(head.payload) == badMarker
                ? malformedResponse : ResponseHead(status: .ok, payload: head.payload).encoded()
            raw.send(try raw.seal(.response, body: body, stream: stream))
            answered.append(stream)
        }
        var open: [(UInt32, RequestHead)] = []
        for _ in 0..<2 {
            open.append(try readRequest(raw))
            requestsSeen.increment()
        }
        for (stream, head) in open.sorted(by: { $0.0 < $1.0 }) { try answer(stream, head) }
        raw.send(try raw.seal(.response, body: malformedResponse, stream: 1))
        answered.append(1)
        let (stream, head) = try readRequest(raw)
        try answer(stream, head)
        _ = raw.readUntilClosed()
        return answered
    }

    static func readRequest(_ raw: RawPeer) throws -> (UInt32, RequestHead) {
        let (header, body) = try raw.openNext()
        guard header.type == .request else { throw RawPeerError("expected a request, got \(header)") }
        return (header.streamID, try RequestHead(decoding: body[...]))
    }
}
