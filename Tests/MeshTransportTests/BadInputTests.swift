import MeshCore
import MeshCrypto
import MeshRPC
import MeshTransport
import MeshWire
import NIOCore
import NIOPosix
import Testing

/// Bad input over real sockets: each case ends with a clear error on the server side, the
/// connection closed, and the server still serving others.
@Suite("Bad input over real sockets")
struct BadInputTests {
    /// A server with a short handshake timeout, its event log, and a well-behaved client to prove it still serves.
    struct Harness {
        let cluster = TestCluster()
        let events = EventLog()
        /// Count the server's `Echo.slow` handlers that started and that saw their cancellation.
        let started = Counter()
        let cancelled = Counter()
        let server: MeshTransport
        let client: MeshTransport
        let address: HostPort

        /// `handshakeTimeout` is short only for the test of a silent peer: a loaded machine must not fail the others.
        init(group: MultiThreadedEventLoopGroup, handshakeTimeout: MeshDuration = .seconds(5)) async throws {
            var config = TransportConfiguration()
            config.handshakeTimeout = handshakeTimeout
            config.maxBodyLength = 64 * 1024
            let events = self.events
            server = MeshTransport(
                identity: cluster.identity("server-1"), router: Echo.router(started: started, cancelled: cancelled),
                configuration: config,
                group: group, logger: testLogger, onEvent: { events.record($0) })
            client = MeshTransport(
                identity: cluster.identity("client-ok"), router: ServiceRouter(), group: group, logger: testLogger)
            address = try await server.listen(on: loopback())
        }

        /// A raw client that has completed the handshake as `client-raw`.
        func connectRaw() throws -> RawPeer {
            let raw = try RawPeer(connectingTo: address)
            _ = try raw.handshake(as: cluster.identity("client-raw"), now: wallNow())
            return raw
        }

        /// The first close error the server reported, waiting up to 3 s for it.
        func serverError() async throws -> ConnectionError {
            for _ in 0..<300 {
                if let e = events.closeErrors.first { return e }
                try await Task.sleep(for: .milliseconds(10))
            }
            throw RawPeerError("the server reported no error; events: \(events.all)")
        }

        /// A fresh, well-behaved connection still gets answers.
        func expectStillServing() async throws {
            let c = try await client.connect(to: address)
            #expect(try await c.call(Echo.inline, RawMessage([42])).bytes == [42])
            await c.close()
        }

        func stop() async {
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test func garbageBeforeTheHandshake() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            raw.send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(await raw.awaitClose().closed)
            let e = try await h.serverError()
            #expect(e.code == .frameRejected)
            #expect(e.message.contains("exceeds the maximum frame length"))
            try await h.expectStillServing()
            await h.stop()
        }
    }

    @Test func lengthPrefixOf4GiBIsRejectedBeforeBuffering() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            raw.send([0xFF, 0xFF, 0xFF, 0xFF])  // only the prefix: the server must not wait for 4 GiB
            #expect(await raw.awaitClose().closed)
            let e = try await h.serverError()
            #expect(e.code == .frameRejected)
            #expect(e.message.contains("length prefix 4294967295 exceeds the maximum frame length"))
            try await h.expectStillServing()
            await h.stop()
        }
    }

    @Test func unknownFrameTypeBeforeTheHandshake() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            raw.send([0, 0, 0, 8, 1, 0x7E, 0, 0, 0, 0, 0, 0])
            let reply = await raw.awaitClose()
            #expect(reply.closed)
            let e = try await h.serverError()
            #expect(e.code == .frameRejected)
            #expect(e.message == "frame type 0x7e is not defined in version 1")
            // The server told the peer why, in a plaintext goAway.
            var buffer = ByteBuffer(bytes: reply.bytes)
            let frame = try #require(try FrameDecoder().decode(buffer: &buffer))
            #expect(frame.header.type == .goAway)
            let body = try GoAwayBody(decoding: Array(frame.body.readableBytesView))
            #expect(body.status.code == .unimplemented)
            #expect(body.status.message == "unknownFrameType: frame type 0x7e is not defined in version 1")
            try await h.expectStillServing()
            await h.stop()
        }
    }

    @Test func unknownVersionBeforeTheHandshake() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            raw.send([0, 0, 0, 8, 9, 0x01, 0, 0, 0, 0, 0, 0])
            #expect(await raw.awaitClose().closed)
            let e = try await h.serverError()
            #expect(e.code == .frameRejected)
            #expect(e.message == "frame has protocol version 9; this peer speaks version 1")
            try await h.expectStillServing()
            await h.stop()
        }
    }

    @Test func truncatedFrameThenClose() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            let hello = RawPeer.plainFrame(.hello, body: Array(repeating: 1, count: 100))
            raw.send(Array(hello.prefix(50)))
            raw.finishWriting()
            _ = await raw.awaitClose()
            let e = try await h.serverError()
            #expect(e.code == .frameRejected)
            #expect(e.message == "truncated frame: connection closed after 50 of 112 bytes of a frame")
            try await h.expectStillServing()
            await h.stop()
        }
    }

    @Test func aPeerThatNeverCompletesTheHandshakeIsClosed() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group, handshakeTimeout: .milliseconds(300))
            let raw = try RawPeer(connectingTo: h.address)  // connects and says nothing
            let start = ContinuousClock.now
            #expect(await raw.awaitClose().closed)
            #expect(ContinuousClock.now - start < .seconds(4))
            let e = try await h.serverError()
            #expect(e.code == .handshakeTimeout)
            try await h.expectStillServing()
            await h.stop()
        }
    }
}
