import Testing

@testable import RPCBenchKit

@Suite struct ReportTableTests {
    @Test func formatsUnits() {
        #expect(ReportTable.formatPayload(64) == "64 B")
        #expect(ReportTable.formatPayload(4096) == "4 KiB")
        #expect(ReportTable.formatPayload(1000) == "1000 B")
        #expect(ReportTable.formatPayload(1 << 20) == "1 MiB")
        #expect(ReportTable.formatLatency(850) == "850 ns")
        #expect(ReportTable.formatLatency(12_345) == "12.3 µs")
        #expect(ReportTable.formatLatency(1_254_000) == "1.25 ms")
        #expect(ReportTable.formatLatency(140_000_000) == "140 ms")
        #expect(ReportTable.formatLatency(2_000_000_000) == "2.00 s")
        #expect(ReportTable.formatCount(0) == "0")
        #expect(ReportTable.formatCount(999.6) == "1,000")
        #expect(ReportTable.formatCount(1_234_567) == "1,234,567")
        #expect(ReportTable.formatRatio(3, 2) == "×1.50")
        #expect(ReportTable.formatRatio(1, 0.004) == "×250")
        #expect(ReportTable.formatRatio(nil, 2) == "n/a")
        #expect(ReportTable.formatRatio(1, 0) == "n/a")
        #expect(ReportTable.fixed(0.05, decimals: 2) == "0.05")
    }

    @Test func rendersMeasuredUnavailableFailedAndRatioRows() {
        let grpc = CellStats(
            calls: 3_000, callsPerSecond: 1_000, p50Nanos: 1_000_000, p99Nanos: 2_000_000, cpuNanosPerCall: 400_000)
        let mesh = CellStats(
            calls: 30_000, callsPerSecond: 10_000, p50Nanos: 100_000, p99Nanos: 500_000, cpuNanosPerCall: 9_500)
        let outcomes = [
            CellOutcome(target: "grpc", payloadSize: 64, concurrency: 1, result: .measured(grpc)),
            CellOutcome(target: "nio", payloadSize: 64, concurrency: 1, result: .failed(BenchError(.badEcho, "x"))),
            CellOutcome(target: "mesh", payloadSize: 64, concurrency: 1, result: .measured(mesh)),
        ]
        let expected = """
            | target | payload | in-flight | calls/s | p50 | p99 | CPU/call |
            |---|---:|---:|---:|---:|---:|---:|
            | grpc | 64 B | 1 | 1,000 | 1.00 ms | 2.00 ms | 400 µs |
            | nio | 64 B | 1 | error: badEcho | – | – | – |
            | mesh | 64 B | 1 | 10,000 | 100 µs | 500 µs | 9.50 µs |
            | mesh/grpc | 64 B | 1 | ×10.00 | ×0.10 | ×0.25 | ×0.02 |
            | mesh/nio | 64 B | 1 | n/a | n/a | n/a | n/a |
            """
        #expect(ReportTable.render(outcomes, ratios: [("mesh", "grpc"), ("mesh", "nio")]) == expected)
    }

    @Test func unavailableTargetShowsNotApplicable() {
        let outcomes = [CellOutcome(target: "mesh", payloadSize: 4096, concurrency: 256, result: .unavailable)]
        let lines = ReportTable.render(outcomes, ratios: []).split(separator: "\n")
        #expect(lines.last == "| mesh | 4 KiB | 256 | n/a | n/a | n/a | n/a |")
    }
}
