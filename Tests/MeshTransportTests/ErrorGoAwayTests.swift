import MeshCore
import MeshCrypto
import MeshRPC
import MeshTransport
import MeshWire
import Testing

/// A goAway that closes the connection for an error, after the handshake: sealed, status and `<code>: <detail>`
/// as framing.md's table says, and `lastStreamID` the highest stream the sender accepted (rpc.md, "goAway").
@Suite("Error goAways over real sockets")
struct ErrorGoAwayTests {
    typealias Harness = BadInputTests.Harness

    /// rpc.md: `SettingsBody.maxBodyLength` below 16 384 is a protocol error.
    @Test func aBodyLimitBelowTheMinimumIsAProtocolError() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            try raw.handshake(
                as: h.cluster.identity("client-raw"), now: wallNow(),
                settings: SettingsBody(maxConcurrentStreams: 16, maxBodyLength: 1024))
            try await BadInputTests.expectSealedGoAwayThenClose(
                raw, lastStreamID: 0,
                RPCStatus(
                    code: .internal, message: "invalidValue: settings maxBodyLength 1024 is below the minimum of 16384")
            )
            let e = try await h.serverError()
            #expect(e.code == .protocolViolation)
            try await h.expectStillServing()
            await h.stop()
        }
    }

    /// rpc.md: the smallest allowed limit is accepted, and the server keeps its sealed responses within it
    /// (framing.md: the limit counts the body as sent, tag included).
    @Test func theMinimumBodyLimitIsAcceptedAndKeptSealed() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try RawPeer(connectingTo: h.address)
            try raw.handshake(
                as: h.cluster.identity("client-raw"), now: wallNow(),
                settings: SettingsBody(maxConcurrentStreams: 16, maxBodyLength: SettingsBody.minimumMaxBodyLength))
            // ResponseHead { payload: n bytes } is 3 + n bytes (key, 2-byte length), sealed 19 + n: 16 365 fits
            // 16 384 exactly, one more does not and is answered resourceExhausted instead.
            for (stream, size, fits) in [(UInt32(1), 16_365, true), (3, 16_366, false)] {
                let echo = RequestHead(method: Echo.inline.path, payload: [UInt8](repeating: 1, count: size))
                raw.send(try raw.seal(.request, body: echo.encoded(), stream: stream))
                let frame = try raw.readFrame()
                #expect(frame.header == FrameHeader(type: .response, streamID: stream))
                #expect(fits ? frame.body.readableBytes == 16_384 : frame.body.readableBytes < 16_384)
                let response = try ResponseHead(decoding: raw.open(frame)[...])
                #expect(response.status.code == (fits ? .ok : .resourceExhausted), "\(response.status)")
            }
            #expect(h.events.closeErrors.isEmpty)
            await h.stop()
        }
    }

    /// rpc.md, "Settings and flow control" and "goAway": a stream beyond the limit closes the connection with a
    /// sealed goAway (`internal`, `protocolViolation: …`) whose `lastStreamID` is the last stream accepted, not
    /// the violating one; the call that was running is not answered (the connection closes at once).
    @Test func aStreamBeyondTheLimitNamesTheLastAcceptedStream() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group) { $0.maxConcurrentStreams = 1 }
            let raw = try h.connectRaw()
            try await raw.startSlowCall(stream: 1, started: h.started)
            raw.send(try TrustAndTamperTests.echoRequest(raw, stream: 3))
            try await BadInputTests.expectSealedGoAwayThenClose(
                raw, lastStreamID: 1,
                RPCStatus(
                    code: .internal,
                    message: "protocolViolation: peer exceeded maxConcurrentStreams (1) from our settings"
                ))
            #expect(try await h.serverError().code == .protocolViolation)
            await h.stop()
        }
    }

    /// framing.md: a protocol error carries the `protocolViolation` code name, e.g. a second settings frame.
    @Test func aSecondSettingsFrameIsAProtocolViolation() async throws {
        try await withEventLoopGroup { group in
            let h = try await Harness(group: group)
            let raw = try h.connectRaw()
            try TrustAndTamperTests.expectEchoAnswered(raw, stream: 1)
            raw.send(
                try raw.seal(.settings, body: SettingsBody(maxConcurrentStreams: 1, maxBodyLength: 1 << 20).encoded()))
            try await BadInputTests.expectSealedGoAwayThenClose(
                raw, lastStreamID: 1, RPCStatus(code: .internal, message: "protocolViolation: a second settings frame"))
            await h.stop()
        }
    }
}
