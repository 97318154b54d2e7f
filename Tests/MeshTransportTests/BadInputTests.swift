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
        /// `configure` changes the server's transport configuration further.
        init(
            group: MultiThreadedEventLoopGroup, handshakeTimeout: MeshDuration = .seconds(5),
            configure: (inout TransportConfiguration) -> Void = { _ in }
        ) async throws {
            var config = TransportConfiguration()
            config.handshakeTimeout = handshakeTimeout
            config.maxBodyLength = 64 * 1024
            configure(&config)
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

    /// `bytes` (everything the server sent before closing) are exactly one plaintext goAway on stream 0 with
    /// `lastStreamID` 0 and `status` (framing.md, "Errors that close the connection").
    static func expectOnlyAPlainGoAway(
        _ bytes: [UInt8], _ status: RPCStatus, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        var buffer = ByteBuffer(bytes: bytes)
        let frame = try #require(try FrameDecoder().decode(buffer: &buffer), sourceLocation: sourceLocation)
        #expect(frame.header == FrameHeader(type: .goAway, streamID: 0), sourceLocation: sourceLocation)
        #expect(buffer.readableBytes == 0, "bytes after the goAway", sourceLocation: sourceLocation)
        let body = try GoAwayBody(decoding: Array(frame.body.readableBytesView))
        #expect(body == GoAwayBody(lastStreamID: 0, status: status), sourceLocation: sourceLocation)
    }

    /// The next frame `raw` reads is a sealed goAway on stream 0 with `lastStreamID` and `status`, and nothing follows
    /// it but the close (framing.md: an error goAway is the last frame its sender sends).
    static func expectSealedGoAwayThenClose(
        _ raw: RawPeer, lastStreamID: UInt32, _ status: RPCStatus, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let (header, body) = try raw.openGoAway()
        #expect(header == FrameHeader(type: .goAway, streamID: 0), sourceLocation: sourceLocation)
        #expect(body == GoAwayBody(lastStreamID: lastStreamID, status: status), sourceLocation: sourceLocation)
        #expect(await raw.awaitClose() == ([], true), sourceLocation: sourceLocation)
    }

    /// framing.md: a length prefix out of bounds is answered, before the handshake, with a plaintext goAway
    /// (status `internal`) naming `frameTooShort` or `frameTooLarge`, then the connection is closed.
    @Test(
        arguments: [
            (
                Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
                "frameTooLarge: length prefix 1195725856 exceeds the maximum frame length 65544"
            ),
            (
                [0xFF, 0xFF, 0xFF, 0xFF],
                "frameTooLarge: length prefix 4294967295 exceeds the maximum frame length 65544"
            ),
            ([0, 0, 0, 7, 1, 1, 0, 0, 0, 0, 0], "frameTooShort: length prefix 7 is smaller than the 8-byte header"),
            ([0, 0, 0, 4], "frameTooShort: length prefix 4 is smaller than the 8-byte header"),
        ] as [([UInt8], String)])
    func aLengthPrefixOutOfBoundsBeforeTheHandshakeGetsAPlainGoAway(bytes: [UInt8], reason: String) async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            raw.send(bytes)  // only the prefix of a 4 GiB frame: the server must not wait for the rest
            let reply = await raw.awaitClose()
            #expect(reply.closed)
            try Self.expectOnlyAPlainGoAway(reply.bytes, RPCStatus(code: .internal, message: reason))
            let e = try await h.serverError()
            #expect(e.code == .frameRejected)
            #expect((e.cause as? WireError).map { "\($0)" } == reason)
            try await h.expectStillServing()
            await h.stop()
        }
    }

    /// framing.md: the same after the handshake, in a sealed goAway naming the last stream the server accepted.
    @Test func aLengthPrefixOutOfBoundsAfterTheHandshakeGetsASealedGoAway() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try h.connectRaw()
            try TrustAndTamperTests.expectEchoAnswered(raw, stream: 1)
            raw.send([0, 0, 0, 7])
            try await Self.expectSealedGoAwayThenClose(
                raw, lastStreamID: 1,
                RPCStatus(code: .internal, message: "frameTooShort: length prefix 7 is smaller than the 8-byte header"))
            try await h.expectStillServing()
            await h.stop()
        }
    }

    /// framing.md: an undefined frame type is `unknownFrameType`, status `unimplemented`, in either phase; before
    /// the handshake the goAway is plaintext.
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
            try Self.expectOnlyAPlainGoAway(
                reply.bytes,
                RPCStatus(
                    code: .unimplemented, message: "unknownFrameType: frame type 0x7e is not defined in version 1"))
            try await h.expectStillServing()
            await h.stop()
        }
    }

    @Test func unknownVersionBeforeTheHandshake() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            raw.send([0, 0, 0, 8, 9, 0x01, 0, 0, 0, 0, 0, 0])
            let reply = await raw.awaitClose()
            #expect(reply.closed)
            let e = try await h.serverError()
            #expect(e.code == .frameRejected)
            #expect(e.message == "frame has protocol version 9; this peer speaks version 1")
            try Self.expectOnlyAPlainGoAway(
                reply.bytes,
                RPCStatus(
                    code: .unimplemented,
                    message: "unsupportedVersion: frame has protocol version 9; this peer speaks version 1"))
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
            let reply = await raw.awaitClose()
            #expect(reply.closed)
            #expect(ContinuousClock.now - start < .seconds(4))
            // handshake.md, "Time limits": a plaintext goAway naming handshakeTimeout, then the close.
            try Self.expectOnlyAPlainGoAway(
                reply.bytes,
                RPCStatus(code: .unauthenticated, message: "handshakeTimeout: handshake not completed within 300.0ms"))
            let e = try await h.serverError()
            #expect(e.code == .handshakeTimeout)
            try await h.expectStillServing()
            await h.stop()
        }
    }
}
