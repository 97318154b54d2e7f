import Foundation

/// A test-vector file of proto-spec/vectors/: lines `name: hex`, `#` comments, blank lines.
struct VectorFile {
    struct Entry {
        var comments: [String]
        var name: String
        var bytes: [UInt8]
    }

    var title: [String]
    var entries: [Entry] = []

    init(title: [String]) { self.title = title }

    mutating func add(_ name: String, _ bytes: [UInt8], _ comments: String...) {
        entries.append(Entry(comments: comments, name: name, bytes: bytes))
    }

    var rendered: String {
        var out = title.map { "# \($0)\n" }.joined()
        for e in entries {
            out += "\n" + e.comments.map { "# \($0)\n" }.joined()
            out += "\(e.name): \(hex(e.bytes))\n"
        }
        return out
    }

    /// The named values of a vector file, in order. Throws on a line that is neither.
    static func parse(_ text: String) throws -> [(name: String, bytes: [UInt8])] {
        var out: [(String, [UInt8])] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":"), let bytes = unhex(line[line.index(after: colon)...]) else {
                throw VectorFileError(line: number + 1, text: line)
            }
            out.append((String(line[..<colon]), bytes))
        }
        return out
    }

    /// The directory proto-spec/vectors/ of this repository, found from this source file's path.
    static var directory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("proto-spec/vectors")
    }

    static func load(_ fileName: String) throws -> [(name: String, bytes: [UInt8])] {
        try parse(String(contentsOf: directory.appendingPathComponent(fileName), encoding: .utf8))
    }

    func write(_ fileName: String) throws {
        try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
        try rendered.write(to: Self.directory.appendingPathComponent(fileName), atomically: true, encoding: .utf8)
    }
}

struct VectorFileError: Error {
    var line: Int
    var text: String
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

func unhex<S: StringProtocol>(_ text: S) -> [UInt8]? {
    let digits = Array(text.trimmingCharacters(in: .whitespaces).utf8)
    guard digits.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    var i = 0
    while i < digits.count {
        guard let h = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
        out.append(h)
        i += 2
    }
    return out
}
