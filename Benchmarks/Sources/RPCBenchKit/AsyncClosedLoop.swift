/// The generic closed loop: `plan.concurrency` Swift tasks, each sending the next call as soon as the previous
/// reply arrived, until the measurement window closes. This is how an application using an async RPC API
/// behaves, so it includes the Swift-concurrency hops a real caller pays.
public enum AsyncClosedLoop {
    public static func run(_ plan: CellPlan, client: some AsyncEchoClient) async throws -> LatencySamples {
        let payload = plan.makePayload()
        let window = plan.window(startingAt: MonotonicClock.nowNanos())
        return try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<plan.concurrency {
                group.addTask(executorPreference: client.callerExecutor) {
                    var local: [UInt64] = []
                    while true {
                        let sentAt = MonotonicClock.nowNanos()
                        guard window.isOpen(at: sentAt) else { break }
                        let reply = try await client.echo(payload)
                        let receivedAt = MonotonicClock.nowNanos()
                        guard reply == payload else {
                            throw BenchError(
                                .badEcho, "reply of \(reply.count) B differs from request of \(payload.count) B")
                        }
                        if window.counts(sentAt: sentAt, receivedAt: receivedAt) {
                            local.append(receivedAt - sentAt)
                        }
                    }
                    return local
                }
            }
            var samples = LatencySamples()
            for try await part in group { samples.append(contentsOf: part) }
            return samples
        }
    }
}
