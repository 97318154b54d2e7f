import MeshCore
import MeshRPC
import MeshTestKit
import MeshWire
import Testing

@Suite("Authorization by certificate role, and request validation")
struct AuthorizationAndValidationTests {
    static func policy() -> AuthorizationPolicy {
        var p = AuthorizationPolicy()
        p.requireRoles(["inventory"], for: "inventory/*")
        p.requireRoles(["admin"], for: "inventory/Purge")
        p.requireRoles(["ops"], for: "*")
        return p
    }

    @Test func theMostSpecificRuleApplies() {
        let p = Self.policy()
        #expect(p.requiredRoles(for: "inventory/Purge") == ["admin"])
        #expect(p.requiredRoles(for: "inventory/Reserve") == ["inventory"])
        #expect(p.requiredRoles(for: "billing/Charge") == ["ops"])
        #expect(p.check(method: "inventory/Reserve", peer: "n", roles: ["x", "inventory"]) == nil)
        #expect(p.check(method: "inventory/Purge", peer: "n", roles: ["inventory"])?.code == .permissionDenied)
        #expect(AuthorizationPolicy().check(method: "a/b", peer: "n", roles: []) == nil)
        #expect(
            AuthorizationPolicy(allowsUnmatched: false).check(method: "a/b", peer: "n", roles: [])?.code
                == .permissionDenied)
    }

    @Test func theAnyCallerRoleOpensOneMethodUnderAStricterServiceRule() {
        var p = AuthorizationPolicy(allowsUnmatched: false)
        p.requireRoles(["operator"], for: "mesh.admin/*")
        p.requireRoles([AuthorizationPolicy.anyCaller], for: "mesh.admin/Ping")
        #expect(p.check(method: "mesh.admin/Ping", peer: "n", roles: []) == nil)
        #expect(p.check(method: "mesh.admin/Info", peer: "n", roles: ["operator"]) == nil)
        let refusal = p.check(method: "mesh.admin/Info", peer: "n", roles: ["edge"])
        #expect(refusal?.code == .permissionDenied)
        #expect(refusal?.message == "mesh.admin/Info requires one of the roles [\"operator\"]; n has [\"edge\"]")
    }

    @Test func aServiceRuleMatchesOnlyItsOwnServiceWhetherRulesAreFewOrMany() {
        for extra in [0, 12] {  // up to 8 service rules are compared one by one, more are looked up by hash
            var p = AuthorizationPolicy(allowsUnmatched: false)
            p.requireRoles(["short"], for: "inv/*")
            p.requireRoles(["long"], for: "inventory/*")
            for i in 0..<extra { p.requireRoles(["other"], for: "service\(i)/*") }
            #expect(p.requiredRoles(for: "inv/Get") == ["short"])
            #expect(p.requiredRoles(for: "inventory/Get") == ["long"])
            #expect(p.requiredRoles(for: "invent/Get") == nil)
            #expect(p.requiredRoles(for: "inv") == ["short"])  // a path without '/' is all service
            #expect(p.requiredRoles(for: "inv/") == ["short"])
        }
    }

    @Test func aCallerWithoutTheRoleIsRefusedBeforeTheHandler() async throws {
        let seen = Recorder<ServerContext>()
        let pipeline = ServerPipeline([AuthorizationMiddleware(Self.policy())])
        let error = await #expect(throws: RPCError.self) {
            try await pipeline.handle(
                serverCall("inventory/Reserve", peer: "web-1", roles: ["web"]), handler: recordingHandler(seen))
        }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message == "inventory/Reserve requires one of the roles [\"inventory\"]; web-1 has [\"web\"]")
        _ = try await pipeline.handle(
            serverCall("inventory/Reserve", roles: ["inventory"]), handler: recordingHandler(seen))
        #expect(seen.count == 1)
    }

    @Test func invalidRequestsAreRefusedWithTheRulesMessage() async throws {
        let reserve = MethodDescriptor<RawMessage, RawMessage>.command(service: "inventory", method: "Reserve")
        var validation = ValidationMiddleware()
        validation.validate(reserve) { $0.bytes.isEmpty ? "the request names no item" : nil }
        validation.validate(reserve) { $0.bytes.count > 4 ? "at most 4 items" : nil }
        let seen = Recorder<ServerContext>()
        let pipeline = ServerPipeline([validation])
        for (payload, problem) in [([UInt8](), "the request names no item"), ([1, 2, 3, 4, 5], "at most 4 items")] {
            let error = await #expect(throws: RPCError.self) {
                try await pipeline.handle(
                    serverCall("inventory/Reserve", payload: payload), handler: recordingHandler(seen))
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message == "inventory/Reserve: \(problem)")
        }
        _ = try await pipeline.handle(serverCall("inventory/Reserve", payload: [1]), handler: recordingHandler(seen))
        _ = try await pipeline.handle(serverCall("other/Method", payload: []), handler: recordingHandler(seen))
        #expect(seen.count == 2)
    }
}
