/// Runs every (target × payload × in-flight) cell of `options` in order, one fresh client connection per cell,
/// and collects one `CellOutcome` per cell. A target that fails to start yields "n/a" (unavailable) or error rows
/// for all its cells; a failing cell does not stop the run.
public struct BenchDriver: Sendable {
    public var options: BenchOptions

    public init(options: BenchOptions) { self.options = options }

    public func run(_ targets: [any EchoTarget], progress: @Sendable (String) -> Void) async -> [CellOutcome] {
        var outcomes: [CellOutcome] = []
        for target in targets {
            var startFailure: CellOutcome.Result?
            do {
                try await target.start()
            } catch let error as BenchError where error.code == .targetUnavailable {
                progress("\(target.name): \(error.message)")
                startFailure = .unavailable
            } catch {
                progress("\(target.name): start failed: \(error)")
                startFailure = .failed(BenchError(.serverStartFailed, "\(target.name) did not start", cause: error))
            }
            for payloadSize in options.payloadSizes {
                for concurrency in options.concurrencies {
                    let result: CellOutcome.Result
                    if let startFailure {
                        result = startFailure
                    } else {
                        let plan = options.plan(payloadSize: payloadSize, concurrency: concurrency)
                        result = await runCell(target, plan: plan)
                        progress(describe(target.name, payloadSize, concurrency, result))
                    }
                    outcomes.append(
                        CellOutcome(
                            target: target.name, payloadSize: payloadSize, concurrency: concurrency, result: result))
                }
            }
            await target.stop()
        }
        return outcomes
    }

    private func runCell(_ target: any EchoTarget, plan: CellPlan) async -> CellOutcome.Result {
        do {
            let client = try await target.makeClient(concurrency: plan.concurrency)
            let serverPID = await target.serverPID
            let cpuBefore = Self.cpuNanos(serverPID: serverPID)
            let samples: LatencySamples
            do {
                samples = try await client.runCell(plan)
            } catch {
                await client.close()
                throw error
            }
            let cpuAfter = Self.cpuNanos(serverPID: serverPID)
            await client.close()
            var stats = samples.summary(windowNanos: plan.measureNanos)
            if let before = cpuBefore, let after = cpuAfter, stats.callsPerSecond > 0 {
                // Calls over the whole cell at the measured steady rate (the warm-up ran at about the same rate).
                let cellCalls = stats.callsPerSecond * Double(plan.warmUpNanos + plan.measureNanos) / 1e9
                stats.cpuNanosPerCall = Double(after - before) / cellCalls
            }
            return .measured(stats)
        } catch let error as BenchError {
            return .failed(error)
        } catch {
            return .failed(BenchError(.connectionClosed, "cell failed", cause: error))
        }
    }

    /// Client (this process) plus server child CPU nanoseconds; nil if the target has no readable server process.
    private static func cpuNanos(serverPID: Int32?) -> UInt64? {
        guard let serverPID, let server = ProcessCPU.nanos(pid: serverPID) else { return nil }
        return ProcessCPU.selfNanos() + server
    }

    private func describe(_ name: String, _ payload: Int, _ concurrency: Int, _ result: CellOutcome.Result) -> String {
        let cell = "\(name) \(ReportTable.formatPayload(payload)) c=\(concurrency)"
        switch result {
        case .measured(let stats):
            return "\(cell): \(ReportTable.formatCount(stats.callsPerSecond)) calls/s, p50 "
                + (stats.p50Nanos.map(ReportTable.formatLatency) ?? "–")
        case .unavailable: return "\(cell): n/a"
        case .failed(let error): return "\(cell): \(error)"
        }
    }
}
