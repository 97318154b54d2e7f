import MeshCore
import MeshCrypto
import MeshRPC
import MeshTransport
import MeshWire
import NIOCore
import Synchronization
import Testing

/// `MeshConnection.makeCall`: calls started and completed on the connection's event loop, with futures.
@Suite("Event-loop calls (futures) over a real loopback connection")
struct EventLoopCallTests {
    @Test func callsChainedOnTheEventLoopAllEchoInOrder() async throws {
        try await withEventLoopGroup { group in
            let (server, client, address) = try await serverAndClient(group: group)
            let c = try await client.connection(to: address)
            // 200 calls, each started from the previous one's completion on the event loop (no task in between).
            let seen = Mutex<[UInt8]>([])
            let done = c.eventLoop.makePromise(of: Void.self)
            @Sendable func next(_ i: Int) {
                guard i < 200 else { return done.succeed() }
                #expect(c.eventLoop.inEventLoop)
                c.makeCall(method: Echo.inline.path, payload: [UInt8(i)]).whenComplete { result in
                    switch result {
                    case .success(let head):
                        seen.withLock { $0.append(contentsOf: head.payload) }
                        next(i + 1)
                    case .failure(let error):
                        done.fail(error)
                    }
                }
            }
            c.eventLoop.execute { next(0) }
            try await done.futureResult.get()
            #expect(seen.withLock { $0 } == (0..<200).map { UInt8($0) })
            // From outside the event loop it hops there first; statuses come back in the head like `rawCall`.
            let unknown = try await c.makeCall(method: "nope/Nothing", payload: []).get()
            #expect(unknown.status.code == .unimplemented)
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test func aPeersOwnDeadlineStatusBeforeOursComesBackInTheHead() async throws {
        // A handler may answer deadlineExceeded for reasons of its own (its nested call ran out): while the caller's
        // deadline has not passed, that is the peer's status, returned like any other. (After it has passed, the
        // call fails as our own timer reports it, whichever fired first: see the test below.)
        let nested = MethodDescriptor<RawMessage, RawMessage>(service: "echo", method: "Nested")
        var router = Echo.router()
        router.register(nested) { _, _ in throw RPCError(.deadlineExceeded, "the nested call ran out") }
        try await withEventLoopGroup { group in
            let (server, client, address) = try await serverAndClient(group: group, router: router)
            let c = try await client.connection(to: address)
            let head = try await c.makeCall(
                method: nested.path, payload: [], options: CallOptions(timeout: .seconds(10))
            ).get()
            #expect(head.status == RPCStatus(code: .deadlineExceeded, message: "the nested call ran out"))
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test func theDeadlineFailsTheFutureWithATypedError() async throws {
        try await withEventLoopGroup { group in
            let (server, client, address) = try await serverAndClient(group: group)
            let c = try await client.connection(to: address)
            let future = c.makeCall(
                method: Echo.slow.path, payload: Echo.slowRequest(ms: 5000).bytes,
                options: CallOptions(timeout: .milliseconds(100)))
            let error = await #expect(throws: RPCError.self) { try await future.get() }
            #expect(error?.code == .deadlineExceeded)
            await client.shutdown()
            // A call on a closed connection fails at once with `unavailable`.
            let closed = await #expect(throws: RPCError.self) {
                try await c.makeCall(method: Echo.inline.path, payload: [1]).get()
            }
            #expect(closed?.code == .unavailable)
            await server.shutdown()
        }
    }
}
