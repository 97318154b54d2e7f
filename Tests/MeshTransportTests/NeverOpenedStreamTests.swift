import MeshCore
import MeshCrypto
import MeshRPC
import MeshTransport
import MeshWire
import Testing

/// proto-spec/framing.md: a `response` or `cancel` for a stream that finished is a normal race and is
/// ignored, but one naming a stream id that was never opened is a protocol error that closes the connection.
@Suite("Responses and cancels for streams never opened")
struct NeverOpenedStreamTests {
    @Test func aCancelForAFinishedStreamIsIgnoredAndOneForANeverOpenedStreamClosesTheConnection() async throws {
        try await withEventLoopGroup { group in
            let h = try await BadInputTests.Harness(group: group)
            let raw = try h.connectRaw()
            try TrustAndTamperTests.expectEchoAnswered(raw, stream: 1)
            raw.send(try raw.seal(.cancel, body: CancelBody(reason: "too late").encoded(), stream: 1))
            try TrustAndTamperTests.expectEchoAnswered(raw, stream: 3)
            #expect(h.events.closeErrors.isEmpty)

            raw.send(try raw.seal(.cancel, body: CancelBody(reason: "made up").encoded(), stream: 9))
            try await Self.expectClosedForViolation(h, raw, "cancel on stream 9, which the peer never opened")
        }
    }

    /// framing.md: ping, pong, settings and goAway belong to stream 0; on another stream they close the connection.
    @Test func aConnectionFrameOnACallsStreamClosesTheConnection() async throws {
        try await withEventLoopGroup { group in
            let h = try await BadInputTests.Harness(group: group)
            let raw = try h.connectRaw()
            try TrustAndTamperTests.expectEchoAnswered(raw, stream: 1)
            raw.send(try raw.seal(.ping, body: PingBody(opaque: 7).encoded(), stream: 1))
            try await Self.expectClosedForViolation(h, raw, "ping frame on stream 1; it belongs to stream 0")
        }
    }

    /// The server closed `raw`'s connection for the protocol violation `message`, and still serves other clients.
    static func expectClosedForViolation(_ h: BadInputTests.Harness, _ raw: RawPeer, _ message: String) async throws {
        #expect(await raw.awaitClose().closed)
        let e = try await h.serverError()
        #expect(e.code == .protocolViolation)
        #expect(e.message == message)
        try await h.expectStillServing()
        await h.stop()
    }

    /// A request that reaches a draining server (above its goAway's lastStreamID) still opens its stream, so
    /// the caller's cancel for it is a normal race, not a protocol error.
    @Test func aCancelForAStreamRefusedWhileDrainingIsIgnored() async throws {
        try await withEventLoopGroup { group in
            let h = try await BadInputTests.Harness(group: group)
            let raw = try h.connectRaw()
            let shutdown = try await Self.drainWithStream3Refused(h, raw)
            raw.send(try raw.seal(.cancel, body: CancelBody(reason: "deadline exceeded").encoded(), stream: 3))
            raw.send(try raw.seal(.cancel, body: CancelBody(reason: "deadline exceeded").encoded(), stream: 1))
            #expect(await raw.awaitClose().closed)
            await shutdown.value
            for _ in 0..<200 where h.cancelled.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(h.cancelled.count == 1)
            #expect(h.events.closeErrors.isEmpty)
            await h.client.shutdown()
        }
    }

    /// rpc.md: a later goAway never names a larger lastStreamID, though the refused stream 3 was opened since.
    @Test func aProtocolErrorWhileDrainingRepeatsTheDrainsLastStreamID() async throws {
        try await withEventLoopGroup { group in
            let h = try await BadInputTests.Harness(group: group)
            let raw = try h.connectRaw()
            let shutdown = try await Self.drainWithStream3Refused(h, raw)
            raw.send(try raw.seal(.cancel, body: [], stream: 9))
            let (header, body) = try await raw.awaitNext()
            #expect(header.type == .goAway)
            #expect(
                try GoAwayBody(decoding: body[...])
                    == GoAwayBody(
                        lastStreamID: 1,
                        status: RPCStatus(
                            code: .internal,
                            message: "protocolViolation: cancel on stream 9, which the peer never opened"
                        )))
            #expect(await raw.awaitClose().closed)
            await shutdown.value
            #expect(h.events.closeErrors.map(\.message) == ["cancel on stream 9, which the peer never opened"])
            await h.client.shutdown()
        }
    }

    /// Starts a slow call on stream 1, shuts the server down (its goAway names stream 1) and has a request on
    /// stream 3 refused `unavailable`. Returns the shutdown, which ends once the connection closes.
    static func drainWithStream3Refused(_ h: BadInputTests.Harness, _ raw: RawPeer) async throws -> Task<Void, Never> {
        try await raw.startSlowCall(stream: 1, started: h.started)
        let server = h.server
        let shutdown = Task { await server.shutdown() }
        let (goAwayHeader, goAwayBody) = try await raw.awaitNext()  // the shutdown task runs meanwhile
        #expect(goAwayHeader.type == .goAway)
        #expect(try GoAwayBody(decoding: goAwayBody[...]).lastStreamID == 1)
        raw.send(try TrustAndTamperTests.echoRequest(raw, stream: 3))
        let (refusedHeader, refusedBody) = try await raw.awaitNext()
        #expect(refusedHeader.streamID == 3)
        #expect(
            try ResponseHead(decoding: refusedBody).status
                == RPCStatus(code: .unavailable, message: "node is shutting down"))
        return shutdown
    }

    @Test func aResponseForAStreamTheCallerNeverOpenedClosesTheConnection() async throws {
        try await withEventLoopGroup { group in
            let cluster = TestCluster()
            let events = EventLog()
            let client = MeshTransport(
                identity: cluster.identity("client-1"), router: ServiceRouter(), group: group,
                logger: testLogger, onEvent: { events.record($0) })
            let listener = try RawListener()
            let port = listener.port
            let scripted = UncheckedBox(listener)
            let serverIdentity = cluster.identity("server-raw")
            // The scripted server answers the call on stream 1 as if it were stream 3.
            async let closedByClient = onOwnThread {
                Result {
                    let raw = try scripted.value.accept()
                    _ = try raw.acceptHandshake(as: serverIdentity, now: wallNow())
                    let (request, _) = try UndecodableResponseTests.readRequest(raw)
                    raw.send(
                        try raw.seal(
                            .response, body: ResponseHead(status: .ok, payload: [1]).encoded(), stream: request + 2))
                    return raw.readUntilClosed().closed
                }
            }

            let c = try await client.connect(to: loopback(port))
            let error = await #expect(throws: RPCError.self) { try await c.call(Echo.inline, RawMessage([1])) }
            #expect(error?.code == .unavailable)
            #expect(
                error?.message
                    == "connection to server-raw closed: protocolViolation: response on stream 3, which this side never opened"
            )
            #expect(try await closedByClient.get())
            for _ in 0..<300 where events.closeErrors.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
            #expect(events.closeErrors.map(\.message) == ["response on stream 3, which this side never opened"])
            await client.shutdown()
        }
    }
}
