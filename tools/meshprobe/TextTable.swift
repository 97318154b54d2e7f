/// An aligned text table that fits a terminal width: columns are separated by two spaces; when the rows are
/// wider than `width`, the columns marked `shrinkable` are shortened (widest first, down to 4 characters)
/// and cut values end in `…`.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []
    /// Indices of columns that may be shortened to fit.
    var shrinkable: Set<Int> = []

    init(_ header: [String], shrinkable: Set<Int> = []) {
        self.header = header
        self.shrinkable = shrinkable
    }

    mutating func append(_ row: [String]) { rows.append(row) }

    /// The lines of the table; `width` nil means no limit.
    func render(width: Int?) -> [String] {
        let all = [header] + rows
        var widths = header.indices.map { c in all.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        if let width {
            var total = widths.reduce(0, +) + 2 * (widths.count - 1)
            while total > width {
                guard let c = shrinkable.filter({ widths[$0] > 4 }).max(by: { widths[$0] < widths[$1] }) else {
                    break
                }
                widths[c] -= 1
                total -= 1
            }
        }
        return all.map { row in
            var line = ""
            for c in header.indices {
                var cell = c < row.count ? row[c] : ""
                if cell.count > widths[c] { cell = String(cell.prefix(widths[c] - 1)) + "…" }
                line += c == header.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - cell.count + 2)
            }
            return String(line.reversed().drop(while: { $0 == " " }).reversed())
        }
    }
}

/// Number formats of the tables.
enum Format {
    /// `value` with one decimal, e.g. `12.5`.
    static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return (tenths < 0 ? "-" : "") + "\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }

    /// A duration in seconds for humans: `850ms`, `12.5s`, `4m10s`, `3h20m`, `2d4h`.
    static func age(seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds < 60 { return oneDecimal(seconds) + "s" }
        let s = Int(seconds)
        if s < 3600 { return "\(s / 60)m\(s % 60)s" }
        if s < 86400 { return "\(s / 3600)h\((s % 3600) / 60)m" }
        return "\(s / 86400)d\((s % 86400) / 3600)h"
    }
}
