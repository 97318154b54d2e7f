/// Renders outcomes as the markdown table of the report:
/// `target | payload | in-flight | calls/s | p50 | p99 | CPU/call`, then ratio rows (e.g. mesh/grpc) per payload and
/// in-flight: calls/s, latency and CPU-per-call ratios, "n/a" while either side has no number.
public enum ReportTable {
    /// The ratio rows printed after the measured rows: (numerator, denominator) target names.
    public static let defaultRatios: [(String, String)] = [
        ("mesh", "grpc"), ("mesh", "nio"), ("mesh", "nio-async"), ("mesh-loop", "grpc"), ("mesh-loop", "nio"),
        ("mesh-future", "grpc"), ("mesh-future", "nio"),
    ]

    public static func render(_ outcomes: [CellOutcome], ratios: [(String, String)] = defaultRatios) -> String {
        var lines = [
            "| target | payload | in-flight | calls/s | p50 | p99 | CPU/call |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for outcome in outcomes {
            let cells: [String]
            switch outcome.result {
            case .measured(let stats):
                cells = [
                    formatCount(stats.callsPerSecond),
                    stats.p50Nanos.map(formatLatency) ?? "–",
                    stats.p99Nanos.map(formatLatency) ?? "–",
                    stats.cpuNanosPerCall.map { formatLatency(UInt64($0.rounded())) } ?? "–",
                ]
            case .unavailable:
                cells = ["n/a", "n/a", "n/a", "n/a"]
            case .failed(let error):
                cells = ["error: \(error.code)", "–", "–", "–"]
            }
            lines.append(row([outcome.target, formatPayload(outcome.payloadSize), "\(outcome.concurrency)"] + cells))
        }
        for (numerator, denominator) in ratios {
            for key in cellKeys(outcomes) {
                let top = find(outcomes, target: numerator, key: key)
                let bottom = find(outcomes, target: denominator, key: key)
                let cells = [
                    formatRatio(top?.callsPerSecond, bottom?.callsPerSecond),
                    formatRatio(top?.p50Nanos.map(Double.init), bottom?.p50Nanos.map(Double.init)),
                    formatRatio(top?.p99Nanos.map(Double.init), bottom?.p99Nanos.map(Double.init)),
                    formatRatio(top?.cpuNanosPerCall, bottom?.cpuNanosPerCall),
                ]
                let label = ["\(numerator)/\(denominator)", formatPayload(key.payload), "\(key.concurrency)"]
                lines.append(row(label + cells))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// "64 B", "4 KiB", "1 MiB", "1000 B".
    public static func formatPayload(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) B"
    }

    /// Latency with three significant figures: "850 ns", "12.3 µs", "1.25 ms", "2.00 s".
    public static func formatLatency(_ nanos: UInt64) -> String {
        let value = Double(nanos)
        if value < 1_000 { return "\(nanos) ns" }
        if value < 1_000_000 { return significant(value / 1_000) + " µs" }
        if value < 1_000_000_000 { return significant(value / 1_000_000) + " ms" }
        return significant(value / 1_000_000_000) + " s"
    }

    /// Whole number with thousands separators: 1234567.8 → "1,234,568".
    public static func formatCount(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    /// "×2.50", or "n/a" when either side is missing or the denominator is zero.
    public static func formatRatio(_ top: Double?, _ bottom: Double?) -> String {
        guard let top, let bottom, bottom > 0 else { return "n/a" }
        return "×" + fixed(top / bottom, decimals: top / bottom >= 100 ? 0 : 2)
    }

    private struct CellKey: Hashable {
        var payload: Int
        var concurrency: Int
    }

    private static func cellKeys(_ outcomes: [CellOutcome]) -> [CellKey] {
        var seen = Set<CellKey>()
        var keys: [CellKey] = []
        for outcome in outcomes {
            let key = CellKey(payload: outcome.payloadSize, concurrency: outcome.concurrency)
            if seen.insert(key).inserted { keys.append(key) }
        }
        return keys
    }

    private static func find(_ outcomes: [CellOutcome], target: String, key: CellKey) -> CellStats? {
        outcomes.first {
            $0.target == target && $0.payloadSize == key.payload && $0.concurrency == key.concurrency
        }?.stats
    }

    private static func row(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |" }

    private static func significant(_ value: Double) -> String {
        fixed(value, decimals: value >= 100 ? 0 : value >= 10 ? 1 : 2)
    }

    /// Fixed-point rendering without Foundation.
    static func fixed(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = scaled % Int(scale)
        guard decimals > 0 else { return "\(whole)" }
        let fractionText = String(fraction)
        return "\(whole)." + String(repeating: "0", count: decimals - fractionText.count) + fractionText
    }
}
