import MeshCore
import MeshCrypto
import MeshRPC
import MeshTransport
import MeshWire
import NIOPosix
import Testing

/// rpc.md, "Keepalive" and handshake.md, "Time limits", over real sockets with shortened timers: an idle
/// connection gets a sealed ping; a pong keeps it; silence closes it without a goAway.
@Suite("Keepalive over real sockets")
struct KeepaliveTests {
    /// The numbers proto-spec states are the defaults.
    @Test func theDefaultsAreTheSpecifiedNumbers() {
        let c = TransportConfiguration()
        #expect(c.handshakeTimeout == .seconds(5))
        #expect(c.keepaliveInterval == .seconds(30))
        #expect(c.keepaliveTimeout == .seconds(10))
    }

    static func harness(_ group: MultiThreadedEventLoopGroup) async throws -> BadInputTests.Harness {
        try await BadInputTests.Harness(group: group) {
            $0.keepaliveInterval = .milliseconds(200)
            $0.keepaliveTimeout = .milliseconds(300)
        }
    }

    /// Reads the next sealed frame, which must be a ping on stream 0.
    static func expectPing(_ raw: RawPeer) throws -> PingBody {
        let (header, body) = try raw.openNext()
        #expect(header == FrameHeader(type: .ping, streamID: 0))
        return try PingBody(decoding: body[...])
    }

    @Test func anAnsweredPingKeepsTheConnection() async throws {
        try await withEventLoopGroup { group in
            let h = try await Self.harness(group)
            let raw = try h.connectRaw()
            let first = try Self.expectPing(raw)
            raw.send(try raw.seal(.pong, body: first.encoded()))
            // Past interval + timeout, the connection is still there and idle again: another ping, not a close.
            let second = try Self.expectPing(raw)
            #expect(second.opaque != first.opaque)
            #expect(h.events.closeErrors.isEmpty)
            await h.stop()
        }
    }

    @Test func anUnansweredPingClosesTheConnectionWithoutAGoAway() async throws {
        try await withEventLoopGroup { group in
            let h = try await Self.harness(group)
            let raw = try h.connectRaw()
            _ = try Self.expectPing(raw)
            #expect(await raw.awaitClose() == ([], true))
            #expect(try await h.serverError().code == .keepaliveTimeout)
            await h.stop()
        }
    }
}
