import MeshCore
import MeshRPC
import MeshTestKit
import MeshWire
import Testing

@Suite("Deadline propagation")
struct DeadlineMiddlewareTests {
    @Test func anExpiredCallNeverReachesItsHandler() async throws {
        let clock = ManualClock(MeshInstant(nanoseconds: 1_000))
        let seen = Recorder<ServerContext>()
        let call = serverCall(deadline: MeshInstant(nanoseconds: 1_000))
        let error = await #expect(throws: RPCError.self) {
            try await ServerPipeline([DeadlineMiddleware(clock: clock)]).handle(call, handler: recordingHandler(seen))
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(seen.count == 0)
    }

    @Test func theHandlerSeesTheDeadlineInScopeAndALateResultIsDiscarded() async throws {
        let clock = ManualClock(.zero)
        let deadline = MeshInstant.zero + .milliseconds(50)
        let inScope = Recorder<MeshInstant?>()
        let handler = ErasedHandler.async { bytes, _ in
            inScope.append(CallScope.deadline)
            clock.advance(by: .milliseconds(bytes.first == 1 ? 60 : 10))  // payload 1 = "works too long"
            return Array(bytes)
        }
        let pipeline = ServerPipeline([DeadlineMiddleware(clock: clock)])
        let ok = try await pipeline.handle(serverCall(deadline: deadline, payload: [0]), handler: handler)
        #expect(ok.payload == [0])
        let error = await #expect(throws: RPCError.self) {
            try await pipeline.handle(serverCall(deadline: deadline, payload: [1]), handler: handler)
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(inScope.all == [deadline, deadline])
        #expect(CallScope.deadline == nil)
    }

    @Test func aNestedCallInheritsTheRemainingBudgetNeverMore() async throws {
        let clock = ManualClock(.zero)
        let sent = Recorder<ClientCall>()
        let pipeline = ClientPipeline([DeadlineMiddleware(clock: clock)])
        var call = ClientCall(method: "s/m", kind: .query, peer: "p", metadata: [:], payload: [], timeout: .seconds(10))
        try await CallScope.withScope(deadline: MeshInstant.zero + .milliseconds(300)) {
            clock.advance(by: .milliseconds(100))
            _ = try await pipeline.send(call, terminal: recordingTerminal(sent))  // 10 s asked, 200 ms left
            call.timeout = .milliseconds(50)
            _ = try await pipeline.send(call, terminal: recordingTerminal(sent))  // own timeout is shorter
            call.timeout = nil
            _ = try await pipeline.send(call, terminal: recordingTerminal(sent))  // none asked: the budget
        }
        _ = try await pipeline.send(call, terminal: recordingTerminal(sent))  // outside a call: untouched
        #expect(sent.all.map(\.timeout) == [.milliseconds(200), .milliseconds(50), .milliseconds(200), nil])
    }

    @Test func aNestedCallWithNoBudgetLeftIsNotSent() async throws {
        let clock = ManualClock(MeshInstant.zero + .seconds(1))
        let sent = Recorder<ClientCall>()
        let call = ClientCall(method: "s/m", kind: .query, peer: "p", metadata: [:], payload: [], timeout: .seconds(1))
        let error = await #expect(throws: RPCError.self) {
            try await CallScope.withScope(deadline: MeshInstant.zero + .milliseconds(999)) {
                try await ClientPipeline([DeadlineMiddleware(clock: clock)]).send(
                    call, terminal: recordingTerminal(sent))
            }
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(sent.count == 0)
    }
}
