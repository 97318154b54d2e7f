import MeshCore
import MeshRPC
import MeshWire
import NIOCore
import Testing

@testable import MeshTransport

/// framing.md: a peer that has used its largest stream id opens no more streams on the connection; it goes
/// away and new calls take a new connection. The client starts near the end of its id space (a test-only
/// setting), so its second call uses the last id 2³²−1.
@Suite("Stream id exhaustion")
struct StreamIDExhaustionTests {
    @Test func afterTheLastStreamIDTheConnectionGoesAwayAndNewCallsTakeANewOne() async throws {
        try await withEventLoopGroup { group in
            var nearTheEnd = TransportConfiguration()
            nearTheEnd.firstOwnStreamID = UInt32.max - 2
            let (server, client, address) = try await serverAndClient(group: group, clientConfiguration: nearTheEnd)
            let first = try await client.connection(to: address)
            // Streams 2³²−3 and 2³²−1 (the last odd id): both are answered.
            #expect(try await first.call(Echo.inline, RawMessage([1])).bytes == [1])
            #expect(try await first.call(Echo.async, RawMessage([2])).bytes == [2])
            // No stream can follow on this connection: it is going away, and a call on it is refused.
            #expect(!first.isAvailable)
            let refused = await #expect(throws: RPCError.self) { try await first.call(Echo.inline, RawMessage([3])) }
            #expect(refused?.code == .unavailable)
            // It closes once drained; the next call gets a new connection and is answered.
            try await first.closeFuture.get()
            let second = try await client.connection(to: address)
            #expect(second !== first)
            #expect(try await second.call(Echo.inline, RawMessage([4])).bytes == [4])
            await client.shutdown()
            await server.shutdown()
        }
    }
}
