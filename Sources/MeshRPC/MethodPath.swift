/// Splits a `service/method` path on its first `/`, scanning UTF-8 bytes (no per-character work).
enum MethodPath {
    /// The `service` part (the whole path if it has no `/`).
    static func service(of path: String) -> Substring {
        guard let slash = path.utf8.firstIndex(of: UInt8(ascii: "/")) else { return path[...] }
        return path[..<slash]
    }

    /// True if `service(of: path) == service`, without making a string.
    static func isService(_ service: String, of path: String) -> Bool {
        let s = service.utf8
        let p = path.utf8
        guard p.starts(with: s), !s.contains(UInt8(ascii: "/")) else { return false }
        return p.count == s.count || p[p.index(p.startIndex, offsetBy: s.count)] == UInt8(ascii: "/")
    }

    /// The `method` part (empty if the path has no `/`).
    static func method(of path: String) -> Substring {
        guard let slash = path.utf8.firstIndex(of: UInt8(ascii: "/")) else { return "" }
        return path[path.utf8.index(after: slash)...]
    }
}
