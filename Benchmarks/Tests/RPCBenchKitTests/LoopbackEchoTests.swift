import NIOCore
import NIOPosix
import Testing

@testable import RPCBenchKit

/// Real sockets on 127.0.0.1, server in-process: behaviour only (correct bytes, correct correlation), no timing.
@Suite struct LoopbackEchoTests {
    @Test func asyncClientGetsEachCallersOwnBytesBackUnderConcurrency() async throws {
        let server = try await NIOEchoServer.bind(port: 0, group: MultiThreadedEventLoopGroup.singleton)
        let port = try #require(server.localAddress?.port)
        let client = try await NIOAsyncClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
        let replies = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for caller in 0..<64 {
                group.addTask {
                    (caller, try await client.echo([UInt8](repeating: UInt8(caller), count: 100 + caller)))
                }
            }
            var all: [Int: [UInt8]] = [:]
            for try await (caller, reply) in group { all[caller] = reply }
            return all
        }
        #expect(replies.count == 64)
        for (caller, reply) in replies {
            #expect(reply == [UInt8](repeating: UInt8(caller), count: 100 + caller))
        }
        await client.close()
        try await server.close()
    }

    @Test func inLoopCellRecordsOnlyLatenciesInsideItsWindow() async throws {
        let server = try await NIOEchoServer.bind(port: 0, group: MultiThreadedEventLoopGroup.singleton)
        let port = try #require(server.localAddress?.port)
        let client = try await NIOInLoopClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
        let plan = CellPlan(payloadSize: 64, concurrency: 4, warmUpNanos: 10_000_000, measureNanos: 200_000_000)
        let samples = try await client.runCell(plan)
        #expect(samples.count > 0)
        #expect(samples.nanos.allSatisfy { $0 <= plan.measureNanos })
        // The connection is reusable for a second cell: all slots drained.
        let again = try await client.runCell(plan)
        #expect(again.count > 0)
        await client.close()
        try await server.close()
    }
}
