import MeshCore
import MeshRPC
import MeshResilience
import MeshTestKit
import MeshWire
import Testing

@Suite("Client breakers and retries")
struct ResilienceMiddlewareTests {
    static let noWait = RetryPolicy(maxAttempts: 3, backoff: Backoff(initial: .zero, multiplier: 1, max: .zero))

    static func call(_ kind: MethodKind, key: String? = nil) -> ClientCall {
        ClientCall(
            method: "inventory/Reserve", kind: kind, peer: "server-1",
            metadata: key.map { [MetadataKey.idempotencyKey: $0] } ?? [:], payload: [1], timeout: .seconds(5))
    }

    @Test func aQueryIsRetriedUntilItSucceeds() async throws {
        let sent = Recorder<ClientCall>()
        let m = try ResilienceMiddleware(policy: Self.noWait, clock: ManualClock())
        let terminal = recordingTerminal(sent) { n in n < 2 ? RPCStatus(code: .unavailable) : .ok }
        let response = try await ClientPipeline([m]).send(Self.call(.query), terminal: terminal)
        #expect(response.payload == [1])
        #expect(sent.count == 3)
    }

    @Test func aCommandWithoutAKeyIsNeverRetried() async throws {
        let sent = Recorder<ClientCall>()
        let m = try ResilienceMiddleware(policy: Self.noWait, clock: ManualClock())
        let error = await #expect(throws: RPCError.self) {
            try await ClientPipeline([m]).send(
                Self.call(.command), terminal: recordingTerminal(sent) { _ in RPCStatus(code: .unavailable) })
        }
        #expect(error?.code == .unavailable)
        #expect(sent.count == 1)
    }

    @Test func aCommandIsRetriedUnderOneKey() async throws {
        let sent = Recorder<ClientCall>()
        let m = try ResilienceMiddleware(policy: Self.noWait, clock: ManualClock())
        let terminal = recordingTerminal(sent) { n in n == 0 ? RPCStatus(code: .deadlineExceeded) : .ok }
        _ = try await ClientPipeline([CommandKeyMiddleware(), m]).send(Self.call(.command), terminal: terminal)
        let keys = sent.all.map { $0.metadata[MetadataKey.idempotencyKey] }
        #expect(keys.count == 2)
        #expect(keys[0] != nil && keys[0] == keys[1])
    }

    @Test func aCallersOwnMistakeIsNotRetried() async throws {
        let sent = Recorder<ClientCall>()
        let m = try ResilienceMiddleware(policy: Self.noWait, clock: ManualClock())
        let error = await #expect(throws: RPCError.self) {
            try await ClientPipeline([m]).send(
                Self.call(.query), terminal: recordingTerminal(sent) { _ in RPCStatus(code: .invalidArgument) })
        }
        #expect(error?.code == .invalidArgument)
        #expect(sent.count == 1)
    }

    @Test func anOpenBreakerFailsFastWithoutSending() async throws {
        let sent = Recorder<ClientCall>()
        let breakers = CircuitBreaker.Configuration(window: .count(4), minimumCalls: 2)
        let m = try ResilienceMiddleware(policy: RetryPolicy(maxAttempts: 1), breakers: breakers, clock: ManualClock())
        let failing = recordingTerminal(sent) { _ in RPCStatus(code: .internal) }
        for _ in 0..<2 { _ = try? await ClientPipeline([m]).send(Self.call(.query), terminal: failing) }
        #expect(sent.count == 2)
        guard case .open = m.breakerState(peer: "server-1", service: "inventory") else {
            Issue.record("breaker is \(m.breakerState(peer: "server-1", service: "inventory")), expected open")
            return
        }
        let error = await #expect(throws: RPCError.self) {
            try await ClientPipeline([m]).send(Self.call(.query), terminal: failing)
        }
        #expect(error?.code == .unavailable)
        #expect(sent.count == 2)
        #expect(m.breakerState(peer: "server-1", service: "other") == .closed)
    }

    @Test func statusesMapToWhatTheySayAboutThePeer() {
        #expect(RPCStatus.Code.deadlineExceeded.callOutcome == .failure(.timeout))
        #expect(RPCStatus.Code.unavailable.callOutcome == .failure(.unavailable))
        #expect(RPCStatus.Code.resourceExhausted.callOutcome == .failure(.overloaded))
        #expect(RPCStatus.Code.internal.callOutcome == .failure(.serverError))
        #expect(RPCStatus.Code.permissionDenied.callOutcome == .ignored)
        #expect(RPCStatus.Code.failedPrecondition.callOutcome == .success)
    }
}
