import MeshCore
import MeshRPC
import MeshTestKit
import MeshWire
import Testing

/// Appends its name to the call's metadata trail on the way in, and to the response on the way out.
private struct Mark: ServerMiddleware, ClientMiddleware {
    let name: String
    func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError) -> ServerResponse {
        var call = call
        call.context.metadata["trail", default: ""] += name
        var response = try await next(call)
        response.metadata["out", default: ""] += name
        return response
    }
    func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError) -> ResponseHead {
        var call = call
        call.metadata["trail", default: ""] += name
        var response = try await next(call)
        response.metadata["out", default: ""] += name
        return response
    }
}

private struct Refuse: ServerMiddleware, ClientMiddleware {
    func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError) -> ServerResponse {
        throw RPCError(.failedPrecondition, "refused by middleware")
    }
    func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError) -> ResponseHead {
        throw RPCError(.failedPrecondition, "refused by middleware")
    }
}

@Suite("Pipelines run middleware in order, both ends")
struct PipelineTests {
    @Test func aCallsServiceFollowsItsMethod() {
        var call = ClientCall(method: "cart/Get", kind: .query, peer: "p", metadata: [:], payload: [], timeout: nil)
        #expect(call.service == "cart")
        call.method = "billing/Charge"
        #expect(call.service == "billing")
        let reserve = MethodDescriptor<RawMessage, RawMessage>.command(service: "inventory", method: "Reserve")
        let typed = ClientCall(reserve, peer: "p", metadata: [:], payload: [], timeout: nil)
        #expect(typed.method == "inventory/Reserve" && typed.service == "inventory" && typed.kind == .command)
    }

    @Test func serverMiddlewareRunsInOrderAndSeesTheResponseInReverse() async throws {
        let seen = Recorder<ServerContext>()
        let pipeline = ServerPipeline([Mark(name: "a"), Mark(name: "b"), Mark(name: "c")])
        let response = try await pipeline.handle(serverCall(payload: [9]), handler: recordingHandler(seen))
        #expect(seen.all.map { $0.metadata["trail"] } == ["abc"])
        #expect(response.metadata["out"] == "cba")
        #expect(response.payload == [9])
    }

    @Test func serverShortCircuitNeverReachesTheHandler() async throws {
        let seen = Recorder<ServerContext>()
        let pipeline = ServerPipeline([Mark(name: "a"), Refuse(), Mark(name: "b")])
        let error = await #expect(throws: RPCError.self) {
            try await pipeline.handle(serverCall(), handler: recordingHandler(seen))
        }
        #expect(error?.code == .failedPrecondition)
        #expect(seen.count == 0)
    }

    @Test func inlineHandlersRunBehindAPipelineToo() async throws {
        let pipeline = ServerPipeline([Mark(name: "a")])
        let handler = ErasedHandler.inline { bytes, ctx in Array(bytes) + Array(ctx.metadata["trail", default: ""].utf8)
        }
        let response = try await pipeline.handle(serverCall(payload: [1]), handler: handler)
        #expect(response.payload == [1, UInt8(ascii: "a")])
    }

    @Test func clientMiddlewareRunsInOrderAndMayShortCircuit() async throws {
        let sent = Recorder<ClientCall>()
        let call = ClientCall(method: "svc/M", kind: .query, peer: "p", metadata: [:], payload: [4], timeout: nil)
        let response = try await ClientPipeline([Mark(name: "x"), Mark(name: "y")]).send(
            call, terminal: recordingTerminal(sent))
        #expect(sent.all.map { $0.metadata["trail"] } == ["xy"])
        #expect(response.metadata["out"] == "yx")
        let error = await #expect(throws: RPCError.self) {
            try await ClientPipeline([Refuse()]).send(call, terminal: recordingTerminal(sent))
        }
        #expect(error?.code == .failedPrecondition)
        #expect(sent.count == 1)
    }
}

@Suite("Commands and queries")
struct MethodKindTests {
    static let get = MethodDescriptor<RawMessage, RawMessage>.query(service: "inventory", method: "Get")
    static let reserve = MethodDescriptor<RawMessage, RawMessage>.command(service: "inventory", method: "Reserve")

    @Test func descriptorsCarryTheirKindAndExistingCodeDefaultsToQuery() {
        #expect(Self.get.kind == .query)
        #expect(Self.reserve.kind == .command)
        #expect(MethodDescriptor<RawMessage, RawMessage>(service: "a", method: "b").kind == .query)
        #expect(MethodKind.query.isIdempotent && !MethodKind.command.isIdempotent)
    }

    @Test func routerAdvertisesEachMethodsKindAndTheDescriptionRoundTrips() throws {
        var router = ServiceRouter()
        router.register(Self.reserve) { req, _ in req }
        router.registerInline(Self.get) { req, _ in req }
        #expect(router.kind(for: "inventory/Reserve") == .command)
        #expect(router.kind(for: "inventory/Get") == .query)
        #expect(router.kind(for: "inventory/Nope") == nil)
        let description = router.description
        #expect(
            description.methods == [
                .init(path: "inventory/Get", kind: .query), .init(path: "inventory/Reserve", kind: .command),
            ])
        let bytes = description.encoded()
        // {1: {1: "inventory/Get"}}, {1: {1: "inventory/Reserve", 2: 1}}
        let expected: [UInt8] =
            [0x0A, 0x0F, 0x0A, 0x0D] + Array("inventory/Get".utf8)
            + [0x0A, 0x15, 0x0A, 0x11] + Array("inventory/Reserve".utf8) + [0x10, 0x01]
        #expect(bytes == expected)
        #expect(try ServiceDescription(decoding: bytes) == description)
    }

    @Test func aMethodEntryWithoutAPathIsRejected() {
        let error = #expect(throws: WireError.self) { try ServiceDescription(decoding: [0x0A, 0x02, 0x10, 0x01]) }
        #expect(error?.code == .missingField)
    }
}
