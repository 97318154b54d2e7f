import MeshCore
import MeshRPC
import MeshTestKit
import MeshWire
import Testing

@Suite("Command idempotency")
struct IdempotencyTests {
    static let scope = IdempotencyScope(peer: "client-1", key: "k1")
    static let response = ServerResponse(payload: [42])

    @Test func theTableReplaysRejectsMismatchesAndForgetsFailures() {
        var table = IdempotencyTable(capacity: 10, ttl: .seconds(60))
        let t0 = MeshInstant.zero
        #expect(table.begin(Self.scope, fingerprint: 1, now: t0) == .reserved)
        #expect(table.begin(Self.scope, fingerprint: 1, now: t0) == .inProgress)
        #expect(table.begin(Self.scope, fingerprint: 2, now: t0) == .mismatch)
        table.complete(Self.scope, fingerprint: 1, response: Self.response, now: t0)
        #expect(table.begin(Self.scope, fingerprint: 1, now: t0 + .seconds(59)) == .replay(Self.response))
        #expect(table.begin(Self.scope, fingerprint: 2, now: t0 + .seconds(59)) == .mismatch)
        // Another caller's identical key is its own.
        #expect(table.begin(IdempotencyScope(peer: "client-2", key: "k1"), fingerprint: 2, now: t0) == .reserved)
        // After the TTL the key is fresh again.
        #expect(table.begin(Self.scope, fingerprint: 2, now: t0 + .seconds(60)) == .reserved)
        // A failed request frees its key.
        table.abandon(Self.scope, fingerprint: 2)
        #expect(table.begin(Self.scope, fingerprint: 3, now: t0 + .seconds(61)) == .reserved)
    }

    @Test func theTableIsBoundedAndEvictsTheLeastRecentlyUsedCompletedKeys() {
        var table = IdempotencyTable(capacity: 3, ttl: .seconds(60))
        func key(_ i: Int) -> IdempotencyScope { IdempotencyScope(peer: "p", key: "\(i)") }
        for i in 0..<3 {
            _ = table.begin(key(i), fingerprint: 1, now: .zero)
            table.complete(key(i), fingerprint: 1, response: Self.response, now: .zero)
        }
        #expect(table.begin(key(0), fingerprint: 1, now: .zero) == .replay(Self.response))  // 0 is now recent
        _ = table.begin(key(3), fingerprint: 1, now: .zero)  // running: evicts 1, the least recent
        #expect(table.count == 3)
        #expect(table.begin(key(1), fingerprint: 9, now: .zero) == .reserved)  // forgotten; evicts 2
        #expect(table.begin(key(0), fingerprint: 9, now: .zero) == .mismatch)  // kept
        #expect(table.begin(key(3), fingerprint: 1, now: .zero) == .inProgress)  // running: kept
        for i in 10..<1000 {
            _ = table.begin(key(i), fingerprint: 1, now: .zero)
            table.abandon(key(i), fingerprint: 1)
        }
        #expect(table.count <= 3)
    }

    @Test func aRepeatedKeyReturnsTheStoredResultWithoutRunningTheHandlerAgain() async throws {
        let seen = Recorder<ServerContext>()
        let pipeline = ServerPipeline([IdempotencyMiddleware(clock: ManualClock())])
        let call = serverCall(kind: .command, metadata: [MetadataKey.idempotencyKey: "k1"], payload: [7])
        let handler = ErasedHandler.async { bytes, ctx in
            let n = seen.append(ctx)
            return Array(bytes) + [UInt8(n)]
        }
        let first = try await pipeline.handle(call, handler: handler)
        let second = try await pipeline.handle(call, handler: handler)
        #expect(first.payload == [7, 0])
        #expect(second.payload == [7, 0])
        #expect(first.metadata[MetadataKey.idempotentReplay] == nil)
        #expect(second.metadata[MetadataKey.idempotentReplay] == "true")
        #expect(seen.count == 1)
        let different = serverCall(kind: .command, metadata: [MetadataKey.idempotencyKey: "k1"], payload: [8])
        let error = await #expect(throws: RPCError.self) { try await pipeline.handle(different, handler: handler) }
        #expect(error?.code == .invalidArgument)
        #expect(seen.count == 1)
    }

    @Test func commandsWithoutAKeyAreRefusedAndQueriesPassUntouched() async throws {
        let seen = Recorder<ServerContext>()
        let pipeline = ServerPipeline([IdempotencyMiddleware(clock: ManualClock())])
        let error = await #expect(throws: RPCError.self) {
            try await pipeline.handle(serverCall(kind: .command), handler: recordingHandler(seen))
        }
        #expect(error?.code == .invalidArgument)
        _ = try await pipeline.handle(serverCall(kind: .query), handler: recordingHandler(seen))
        _ = try await pipeline.handle(serverCall(kind: .query), handler: recordingHandler(seen))
        #expect(seen.count == 2)
    }

    @Test func aFailedCommandRunsAgainOnRetry() async throws {
        let seen = Recorder<ServerContext>()
        let handler = ErasedHandler.async { bytes, ctx throws(RPCError) in
            if seen.append(ctx) == 0 { throw RPCError(.unavailable, "database briefly away") }
            return Array(bytes)
        }
        let pipeline = ServerPipeline([IdempotencyMiddleware(clock: ManualClock())])
        let call = serverCall(kind: .command, metadata: [MetadataKey.idempotencyKey: "k1"])
        await #expect(throws: RPCError.self) { try await pipeline.handle(call, handler: handler) }
        _ = try await pipeline.handle(call, handler: handler)
        #expect(seen.count == 2)
    }

    @Test func theClientKeysEveryCommandOnceAndKeepsTheCallersKey() async throws {
        let sent = Recorder<ClientCall>()
        let pipeline = ClientPipeline([CommandKeyMiddleware()])
        var call = ClientCall(method: "s/m", kind: .command, peer: "p", metadata: [:], payload: [], timeout: nil)
        _ = try await pipeline.send(call, terminal: recordingTerminal(sent))
        call.metadata[MetadataKey.idempotencyKey] = "mine"
        _ = try await pipeline.send(call, terminal: recordingTerminal(sent))
        call.kind = .query
        call.metadata = [:]
        _ = try await pipeline.send(call, terminal: recordingTerminal(sent))
        let m = sent.all.map(\.metadata)
        #expect(m[0][MetadataKey.idempotencyKey]?.count == 32)
        #expect(m[0][MetadataKey.kind] == "command")
        #expect(m[1][MetadataKey.idempotencyKey] == "mine")
        #expect(m[2] == [:])
    }
}
