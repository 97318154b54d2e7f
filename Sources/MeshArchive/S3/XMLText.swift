/// The few things Mesh reads from S3's XML answers: the text of elements by name. Not a general XML parser:
/// S3 answers are flat enough that `<Name>text</Name>` pairs, entity-decoded, are all that is needed.
enum XMLText {
    /// The text of every `<name>…</name>` element, in document order.
    static func values(of name: String, in xml: String) -> [String] {
        var values: [String] = []
        let open = "<\(name)>"
        let close = "</\(name)>"
        var rest = xml[...]
        while let start = rest.range(of: open) {
            rest = rest[start.upperBound...]
            guard let end = rest.range(of: close) else { break }
            values.append(decodeEntities(String(rest[..<end.lowerBound])))
            rest = rest[end.upperBound...]
        }
        return values
    }

    static func value(of name: String, in xml: String) -> String? { values(of: name, in: xml).first }

    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingAll("&lt;", "<").replacingAll("&gt;", ">").replacingAll("&quot;", "\"")
            .replacingAll("&apos;", "'").replacingAll("&amp;", "&")
    }

    static func escape(_ text: String) -> String {
        text.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;")
    }
}

extension String {
    fileprivate func replacingAll(_ target: String, _ replacement: String) -> String {
        var out = ""
        var rest = self[...]
        while let found = rest.range(of: target) {
            out += rest[..<found.lowerBound]
            out += replacement
            rest = rest[found.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    fileprivate func range(of target: String) -> Range<Substring.Index>? {
        let needle = Array(target.utf8)
        guard let first = needle.first else { return nil }
        var index = startIndex
        let utf8 = self.utf8
        while let candidate = utf8[index...].firstIndex(of: first) {
            var a = candidate
            var matched = true
            for byte in needle {
                guard a < utf8.endIndex, utf8[a] == byte else {
                    matched = false
                    break
                }
                a = utf8.index(after: a)
            }
            if matched { return candidate..<a }
            index = utf8.index(after: candidate)
        }
        return nil
    }
}

extension String {
    fileprivate func range(of target: String) -> Range<String.Index>? { self[...].range(of: target) }
}
