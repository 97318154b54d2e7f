/// PEM-like text armour for key files: `-----BEGIN <LABEL>-----`, base64 of the contents in lines
/// of 64 characters, `-----END <LABEL>-----`, and a final newline. Text outside the block is ignored
/// when reading, so files may carry comments before or after it.
enum PEMBlock {
    static let certificateLabel = "MESH NODE CERTIFICATE"
    static let nodeKeyLabel = "MESH NODE KEY"
    static let caKeyLabel = "MESH CA KEY"
    static let trustLabel = "MESH CLUSTER TRUST"

    static func encode(label: String, _ bytes: [UInt8]) -> String {
        let b64 = Array(Base64.encode(bytes))
        var text = "-----BEGIN \(label)-----\n"
        var i = 0
        while i < b64.count {
            text += String(b64[i..<min(i + 64, b64.count)]) + "\n"
            i += 64
        }
        return text + "-----END \(label)-----\n"
    }

    /// The contents of the first block labelled `label` in `text`, or `malformedEncoding`.
    /// The BEGIN and END lines must stand on lines of their own (surrounding whitespace allowed).
    static func decode(label: String, _ text: String) throws(CryptoError) -> [UInt8] {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .map { $0.trimmingASCIIWhitespace() }
        guard let b = lines.firstIndex(of: begin[...]) else {
            throw CryptoError(.malformedEncoding, "no '\(begin)' line found")
        }
        guard let e = lines[(b + 1)...].firstIndex(of: end[...]) else {
            throw CryptoError(.malformedEncoding, "'\(begin)' has no matching '\(end)'")
        }
        guard let bytes = Base64.decode(lines[(b + 1)..<e].joined()[...]) else {
            throw CryptoError(.malformedEncoding, "the \(label) block is not valid base64")
        }
        return bytes
    }
}

extension Substring {
    fileprivate func trimmingASCIIWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        let last = lastIndex(where: { !isSpace($0) })!
        return self[first...last]
    }
}
