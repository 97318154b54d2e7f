import Foundation
import MeshWire

/// One `name: hex` entry of a file in `proto-spec/vectors/`.
public struct SpecVector: Sendable {
    public var name: String
    public var bytes: [UInt8]
}

/// Loads the normative vector files (proto-spec/README.md, "Vector files"). Lines are `# comment`, blank, or
/// `name: hex` (hex may be empty); names are unique per file.
public enum SpecVectors {
    public struct FormatError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// `proto-spec/vectors`, found from this source file's path (Tests/MeshTestKit/SpecVectors.swift).
    public static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("proto-spec/vectors")

    public static func load(_ file: String) throws -> [SpecVector] {
        let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        var vectors: [SpecVector] = []
        var names = Set<String>()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw FormatError(description: "\(file):\(index + 1): expected `name: hex`")
            }
            let name = String(line[..<colon])
            guard let bytes = hexBytes(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)) else {
                throw FormatError(description: "\(file):\(index + 1): bad hex")
            }
            guard names.insert(name).inserted else {
                throw FormatError(description: "\(file):\(index + 1): duplicate name \(name)")
            }
            vectors.append(SpecVector(name: name, bytes: bytes))
        }
        return vectors
    }

    public static func hexBytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let hi = nibble(digits[i]), let lo = nibble(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// For a `…reject.<code>.<case>` name, the `WireError` code it names.
    public static func rejectCode(_ name: String) -> WireError.Code? {
        let parts = name.split(separator: ".")
        guard let r = parts.firstIndex(of: "reject"), r + 1 < parts.count else { return nil }
        return WireErrorCodes.byName[String(parts[r + 1])]
    }
}

/// Every `WireError.Code`, by the name vectors and logs use.
public enum WireErrorCodes {
    public static let all: [WireError.Code] = [
        .frameTooLarge, .frameTooShort, .unsupportedVersion, .unknownFrameType, .truncatedPayload,
        .malformedVarint, .unknownWireType, .invalidUTF8, .invalidValue, .missingField,
    ]
    public static let byName: [String: WireError.Code] = Dictionary(uniqueKeysWithValues: all.map { ("\($0)", $0) })
}
