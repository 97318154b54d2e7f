import Foundation
import Logging
import MeshCore
import MeshNode
import MeshRPC
import MeshTransport
import NIOPosix
import Testing

/// A routed call keeps its deadline even when the peer accepts TCP but never answers (a SIGSTOPped process).
@Suite("routing deadlines")
struct RoutingDeadlineTests {
    /// A listening socket that is never accepted from: the kernel completes TCP handshakes, nobody speaks.
    final class MutePeer {
        let fd: Int32
        let port: Int

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                    bind(fd, p, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, p, &len) == 0
                }
            }
            try #require(bound, "cannot listen: errno \(errno)")
            port = Int(UInt16(bigEndian: addr.sin_port))
        }

        deinit { close(fd) }
    }

    @Test func aPeerThatNeverCompletesTheHandshakeFailsTheCallAtItsDeadline() async throws {
        let mute = try MutePeer()
        let transport = callerTransport("test-caller")
        var routes = ServiceRoutes()
        try routes.add(flag: "test=stopped@127.0.0.1:\(mute.port)")
        let router = try PeerRouter(
            transport: transport, routes: routes, configuration: RoutingConfiguration(seed: 3), logger: quietLogger)
        do {
            _ = try await router.call(
                TestEchoService.echo, RawMessage([1]), options: CallOptions(timeout: .milliseconds(200)))
            Issue.record("a call to a mute peer succeeded")
        } catch {
            // Without the race the transport would wait for its 5 s handshake timeout and fail otherwise.
            #expect(error.code == .deadlineExceeded, "\(error)")
            #expect(error.message.contains("connecting to stopped"), "\(error)")
        }
        let status = try #require(router.statuses().first)
        #expect(status.calls == 1 && status.failures == 1 && status.outstanding == 0)
        await transport.shutdown()
    }
}
