import MeshCore
import MeshCrypto
import MeshRPC
import MeshTransport
import MeshWire
import NIOPosix
import Testing

/// proto-spec/rpc.md: a request body that does not decode is a stream-level error. The server answers it
/// `invalidArgument` (`<WireError code>: <detail>`), drops a one-way message with such a body, and keeps
/// the connection open.
@Suite("Undecodable request bodies over real sockets")
struct UndecodableRequestTests {
    /// A valid echo request body followed by a trace field (5) of 24 bytes.
    static let shortTraceBody =
        RequestHead(method: Echo.inline.path, payload: [1, 2, 3, 4]).encoded()
        + [0x2a, 0x18] + [UInt8](repeating: 0x4b, count: 24)

    @Test func aBadTraceFieldIsAnsweredInvalidArgumentAndTheConnectionStaysOpen() async throws {
        try await withEventLoopGroup { group in
            let h = try await BadInputTests.Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            _ = try raw.handshake(as: h.cluster.identity("client-raw"), now: wallNow())

            raw.send(try raw.seal(.request, body: Self.shortTraceBody, stream: 1))
            let (header, body) = try raw.openNext()
            #expect(header.type == .response)
            #expect(header.streamID == 1)
            let rejected = try ResponseHead(decoding: body)
            #expect(
                rejected.status
                    == RPCStatus(
                        code: .invalidArgument, message: "invalidValue: field 5: a trace context is 25 bytes, not 24"))
            #expect(rejected.payload.isEmpty)

            // A one-way message with the same body is dropped without an answer; the next request is served.
            raw.send(try raw.seal(.message, body: Self.shortTraceBody, stream: 3))
            try TrustAndTamperTests.expectEchoAnswered(raw, stream: 5)
            #expect(h.events.closeErrors.isEmpty)
            await h.stop()
        }
    }

    @Test func aCallerSendingAZeroSpanIDGetsInvalidArgument() async throws {
        try await withEventLoopGroup { group in
            let h = try await BadInputTests.Harness(group: group)
            var broken = TraceContext(traceIDHigh: 1, traceIDLow: 2, spanID: 3)
            broken.spanID = 0  // the fields are public, so the invariant can be broken after init
            let error = await #expect(throws: RPCError.self) {
                try await h.client.call(
                    Echo.inline, RawMessage([7]), at: h.address, options: CallOptions(trace: broken))
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message == "invalidValue: field 5: the span id is zero")
            // The same connection still serves calls.
            let fine = TraceContext(traceIDHigh: 1, traceIDLow: 2, spanID: 3)
            let reply = try await h.client.call(
                Echo.inline, RawMessage([8]), at: h.address, options: CallOptions(trace: fine))
            #expect(reply.bytes == [8])
            #expect(h.client.connections.count == 1)
            #expect(h.events.closeErrors.isEmpty)
            await h.stop()
        }
    }
}
