import MeshCore
import MeshCrypto
import MeshRPC
import MeshTransport
import MeshWire
import NIOCore
import Testing

@Suite("Calls over a real loopback connection")
struct CallTests {
    @Test func typedEchoBothKindsOfHandler() async throws {
        try await withEventLoopGroup { group in
            let (server, client, address) = try await serverAndClient(group: group)
            let connection = try await client.connection(to: address)
            #expect(connection.peer.name == "server-1")
            let a = try await connection.call(Echo.inline, RawMessage([1, 2, 3]))
            let b = try await connection.call(Echo.async, RawMessage(Array(repeating: 7, count: 4096)))
            #expect(a.bytes == [1, 2, 3])
            #expect(b.bytes == Array(repeating: 7, count: 4096))
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test func manyConcurrentCallsShareOneConnection() async throws {
        try await withEventLoopGroup { group in
            let (server, client, address) = try await serverAndClient(group: group)
            let results = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { tasks in
                for i in 0..<500 {
                    tasks.addTask {
                        let payload = withUnsafeBytes(of: UInt32(i).bigEndian) { Array($0) }
                        let m = i % 2 == 0 ? Echo.inline : Echo.async
                        return (i, try await client.call(m, RawMessage(payload), at: address).bytes)
                    }
                }
                var out: [Int: [UInt8]] = [:]
                for try await (i, bytes) in tasks { out[i] = bytes }
                return out
            }
            #expect(results.count == 500)
            for (i, bytes) in results {
                #expect(bytes == withUnsafeBytes(of: UInt32(i).bigEndian) { Array($0) })
            }
            #expect(client.connections.count == 1)
            #expect(server.connections.count == 1)
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test func statusesAndUnknownMethods() async throws {
        try await withEventLoopGroup { group in
            let (server, client, address) = try await serverAndClient(group: group)
            let c = try await client.connection(to: address)
            let failed = await #expect(throws: RPCError.self) { try await c.call(Echo.fail, RawMessage([])) }
            #expect(failed?.code == .failedPrecondition)
            #expect(failed?.message == "refused for client-1")
            let missing = MethodDescriptor<RawMessage, RawMessage>(service: "nope", method: "Nothing")
            let unknown = await #expect(throws: RPCError.self) { try await c.call(missing, RawMessage([])) }
            #expect(unknown?.code == .unimplemented)
            // The connection survives both.
            #expect(try await c.call(Echo.inline, RawMessage([9])).bytes == [9])
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test func deadlineIsEnforcedOnBothEnds() async throws {
        try await withEventLoopGroup { group in
            let cancelled = Counter()
            let (server, client, address) = try await serverAndClient(
                group: group, router: Echo.router(cancelled: cancelled))
            let c = try await client.connection(to: address)
            let start = ContinuousClock.now
            let e = await #expect(throws: RPCError.self) {
                try await c.call(
                    Echo.slow, Echo.slowRequest(ms: 5000), options: CallOptions(timeout: .milliseconds(200)))
            }
            #expect(e?.code == .deadlineExceeded)
            #expect(ContinuousClock.now - start < .seconds(4))
            // The server stopped the handler too (its own timer or the cancel frame).
            for _ in 0..<100 where cancelled.count == 0 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(cancelled.count == 1)
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test func cancellingTheCallerStopsTheServerHandler() async throws {
        try await withEventLoopGroup { group in
            let started = Counter()
            let cancelled = Counter()
            let (server, client, address) = try await serverAndClient(
                group: group, router: Echo.router(started: started, cancelled: cancelled))
            let c = try await client.connection(to: address)
            let task = Task {
                try await c.call(Echo.slow, Echo.slowRequest(ms: 10_000), options: CallOptions(timeout: nil))
            }
            for _ in 0..<200 where started.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
            task.cancel()
            let result = await task.result
            guard case .failure(let error as RPCError) = result else {
                Issue.record("expected a cancelled RPCError, got \(result)")
                return
            }
            #expect(error.code == .cancelled)
            for _ in 0..<200 where cancelled.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(cancelled.count == 1)
            #expect(try await c.call(Echo.inline, RawMessage([1])).bytes == [1])
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test func gracefulShutdownLetsInFlightCallsFinish() async throws {
        try await withEventLoopGroup { group in
            let started = Counter()
            let (server, client, address) = try await serverAndClient(
                group: group, router: Echo.router(started: started))
            let c = try await client.connection(to: address)
            let inFlight = Task { try await c.call(Echo.slow, Echo.slowRequest(ms: 300)) }
            for _ in 0..<200 where started.count == 0 { try await Task.sleep(for: .milliseconds(5)) }
            await server.shutdown()
            // The call accepted before shutdown completed normally.
            #expect(try await inFlight.value.bytes == Echo.slowRequest(ms: 300).bytes)
            // New calls fail with unavailable.
            let e = await #expect(throws: RPCError.self) { try await c.call(Echo.inline, RawMessage([1])) }
            #expect(e?.code == .unavailable)
            await client.shutdown()
        }
    }
}

@Suite("Body size limits")
struct BodyLimitTests {
    @Test func aRequestOverThePeersLimitFailsLocallyAndTheConnectionSurvives() async throws {
        try await withEventLoopGroup { group in
            var small = TransportConfiguration()
            small.maxBodyLength = 64 * 1024
            let (server, client, address) = try await serverAndClient(group: group, serverConfiguration: small)
            let c = try await client.connection(to: address)
            let e = await #expect(throws: RPCError.self) {
                try await c.call(Echo.inline, RawMessage(Array(repeating: 1, count: 100_000)))
            }
            #expect(e?.code == .resourceExhausted)
            #expect(e?.message.hasPrefix("request body of 100") == true)
            #expect(try await c.call(Echo.inline, RawMessage(Array(repeating: 2, count: 60_000))).bytes.count == 60_000)
            await client.shutdown()
            await server.shutdown()
        }
    }
}

@Suite("One connection per pair of peers")
struct ConnectionReuseTests {
    @Test func aCallByPeerNameReusesTheConnectionThePeerDialled() async throws {
        try await withEventLoopGroup { group in
            let cluster = TestCluster()
            let a = MeshTransport(
                identity: cluster.identity("node-a"), router: Echo.router(), group: group, logger: testLogger)
            let b = MeshTransport(
                identity: cluster.identity("node-b"), router: Echo.router(), group: group, logger: testLogger)
            let addressA = try await a.listen(on: loopback())
            let addressB = try await b.listen(on: loopback())
            let fromB = try await b.connection(to: addressA, peerName: "node-a")
            // node-a calls node-b: it reuses node-b's inbound connection instead of dialling.
            for _ in 0..<100 where a.connections.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            let fromA = try await a.connection(to: addressB, peerName: "node-b")
            #expect(fromA.isInbound)
            #expect(try await fromA.call(Echo.inline, RawMessage([5])).bytes == [5])
            #expect(try await fromB.call(Echo.async, RawMessage([6])).bytes == [6])
            #expect(a.connections.count == 1)
            #expect(b.connections.count == 1)
            await a.shutdown()
            await b.shutdown()
        }
    }

    @Test func aDialledPeerMustPresentTheExpectedName() async throws {
        try await withEventLoopGroup { group in
            let (a, b, addressA) = try await serverAndClient(group: group, serverName: "node-a", clientName: "node-b")
            let e = await #expect(throws: RPCError.self) { try await b.connection(to: addressA, peerName: "node-z") }
            #expect(e?.code == .unauthenticated)
            await a.shutdown()
            await b.shutdown()
        }
    }

    @Test func aConnectionDialledWithoutANameIsNotHandedToACallerExpectingAnotherPeer() async throws {
        try await withEventLoopGroup { group in
            let (a, b, addressA) = try await serverAndClient(group: group, serverName: "node-a", clientName: "node-b")
            let anonymous = try await b.connection(to: addressA)
            #expect(anonymous.peer.name == "node-a")
            // node-z is expected at node-a's address: the open connection to node-a is refused, not reused.
            let e = await #expect(throws: RPCError.self) { try await b.connection(to: addressA, peerName: "node-z") }
            #expect(e?.code == .unauthenticated)
            #expect((e?.cause as? CryptoError)?.code == .peerNameMismatch)
            #expect(e?.message.contains("'node-a', expected 'node-z'") == true)
            // The right name gets the same connection back; no second connection was made.
            let named = try await b.connection(to: addressA, peerName: "node-a")
            #expect(named === anonymous)
            #expect(b.connections.count == 1)
            await a.shutdown()
            await b.shutdown()
        }
    }
}

@Suite("Reconnect and keepalive")
struct ReconnectKeepaliveTests {
    @Test func aCallerReconnectsWithBackoffOnceThePeerIsBack() async throws {
        try await withEventLoopGroup { group in
            let cluster = TestCluster()
            var config = TransportConfiguration()
            config.reconnectInitialBackoff = .milliseconds(50)
            config.reconnectMaxBackoff = .milliseconds(200)
            let client = MeshTransport(
                identity: cluster.identity("client-1"), router: ServiceRouter(), configuration: config,
                group: group, logger: testLogger)
            let first = MeshTransport(
                identity: cluster.identity("server-1"), router: Echo.router(), group: group, logger: testLogger)
            let address = try await first.listen(on: loopback())
            #expect(try await client.call(Echo.inline, RawMessage([1]), at: address).bytes == [1])
            await first.shutdown()
            // The peer is gone: calls fail with unavailable, not hang.
            let down = await #expect(throws: RPCError.self) {
                try await client.call(
                    Echo.inline, RawMessage([2]), at: address, options: CallOptions(timeout: .milliseconds(300)))
            }
            #expect(down?.code == .unavailable)
            // It comes back on the same address: the next call within its deadline reconnects.
            let second = MeshTransport(
                identity: cluster.identity("server-1"), router: Echo.router(), group: group, logger: testLogger)
            _ = try await second.listen(on: address)
            let ready = CallOptions(timeout: .seconds(3), waitForReady: true)
            #expect(try await client.call(Echo.inline, RawMessage([3]), at: address, options: ready).bytes == [3])
            await client.shutdown()
            await second.shutdown()
        }
    }

    @Test func aPeerThatStopsAnsweringPingsIsClosed() async throws {
        try await withEventLoopGroup { group in
            let cluster = TestCluster()
            let events = EventLog()
            var config = TransportConfiguration()
            config.keepaliveInterval = .milliseconds(100)
            config.keepaliveTimeout = .milliseconds(200)
            let server = MeshTransport(
                identity: cluster.identity("server-1"), router: Echo.router(), configuration: config,
                group: group, logger: testLogger, onEvent: { events.record($0) })
            let address = try await server.listen(on: loopback())
            let raw = try RawPeer(connectingTo: address)
            _ = try raw.handshake(as: cluster.identity("silent"), now: wallNow())
            // The raw peer never answers: the server pings after 100 ms idle and gives up 200 ms later.
            let (header, _) = try raw.openNext()
            #expect(header.type == .ping)
            #expect(await raw.awaitClose().closed)
            let error = events.closeErrors.first
            #expect(error?.code == .keepaliveTimeout)
            await server.shutdown()
        }
    }
}
