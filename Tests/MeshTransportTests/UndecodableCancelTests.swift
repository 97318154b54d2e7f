import MeshCore
import MeshCrypto
import MeshRPC
import MeshTransport
import MeshWire
import NIOPosix
import Testing

/// proto-spec/rpc.md: a cancel body that does not decode is still a cancel (only its reason is lost);
/// the connection stays open.
@Suite("Undecodable cancel bodies over real sockets")
struct UndecodableCancelTests {
    /// Field 1 with wire type 7, which no decoder can skip.
    static let malformedCancel: [UInt8] = [0x0F]

    @Test func aMalformedCancelStillCancelsTheRunningHandlerAndTheConnectionKeepsServing() async throws {
        try await withEventLoopGroup { group in
            let started = Counter()
            let cancelled = Counter()
            let h = try await BadInputTests.Harness(group: group, router: Echo.router(started: started, cancelled: cancelled))
            let raw = try RawPeer(connectingTo: h.address)
            _ = try raw.handshake(as: h.cluster.identity("client-raw"), now: wallNow())

            let slow = RequestHead(method: Echo.slow.path, payload: Echo.slowRequest(ms: 60_000).bytes)
            raw.send(try raw.seal(.request, body: slow.encoded(), stream: 1))
            for _ in 0..<200 where started.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(started.count == 1)
            raw.send(try raw.seal(.cancel, body: Self.malformedCancel, stream: 1))
            for _ in 0..<200 where cancelled.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(cancelled.count == 1)

            // The cancelled stream gets no response; the next request on the connection is answered.
            try TrustAndTamperTests.expectEchoAnswered(raw, stream: 3)
            #expect(h.events.closeErrors.isEmpty)
            await h.stop()
        }
    }
}
