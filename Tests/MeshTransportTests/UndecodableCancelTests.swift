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
            let h = try await BadInputTests.Harness(group: group)
            let raw = try h.connectRaw()

            try await raw.startSlowCall(stream: 1, started: h.started)
            #expect(h.started.count == 1)
            raw.send(try raw.seal(.cancel, body: Self.malformedCancel, stream: 1))
            for _ in 0..<200 where h.cancelled.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(h.cancelled.count == 1)

            // The cancelled stream gets no response; the next request on the connection is answered.
            try TrustAndTamperTests.expectEchoAnswered(raw, stream: 3)
            #expect(h.events.closeErrors.isEmpty)
            await h.stop()
        }
    }
}
