import MeshCore

/// Renders a `BreakersReport` as the operator's table (`meshprobe breakers`): one row per peer.
public enum BreakerTable {
    public static let header = [
        "PEER", "STATE", "SINCE", "FAIL%", "SLOW%", "WINDOW", "REJECTED", "INFLIGHT", "LATENCY", "CALLS", "FAILED",
        "REASON",
    ]

    public static func render(_ report: BreakersReport) -> [String] {
        guard !report.peers.isEmpty else { return ["node \(report.node): no routed peers"] }
        let rows = report.peers.map { p in
            [
                p.peer, p.state, seconds(p.inState), percent(p.failureRate), percent(p.slowCallRate),
                "\(p.callsInWindow)", "\(p.rejected)", "\(p.outstanding)", millis(p.latency), "\(p.calls)",
                "\(p.failures)", p.reason.isEmpty ? "-" : p.reason,
            ]
        }
        let all = [header] + rows
        let widths = (0..<header.count - 1).map { c in all.map { $0[c].count }.max() ?? 0 }
        let lines = all.map { row in
            (0..<header.count - 1).map { row[$0] + String(repeating: " ", count: widths[$0] + 2 - row[$0].count) }
                .joined() + row[header.count - 1]
        }
        return ["node \(report.node)"] + lines
    }

    /// `value` with one decimal, e.g. `12.5`.
    static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }

    static func percent(_ rate: Double) -> String { oneDecimal(rate * 100) }

    static func seconds(_ d: MeshDuration) -> String { "\(oneDecimal(d.seconds))s" }

    static func millis(_ d: MeshDuration) -> String { "\(oneDecimal(d.milliseconds))ms" }
}
