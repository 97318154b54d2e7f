import MeshWire

/// One row of `mesh.admin/Members`: a member as the answering node sees it.
///
/// Wire: `{1: name, 2: address, 3: status, 4: incarnation, 5*: service}`.
public struct MemberInfo: WireMessage, Hashable {
    public var name: String
    public var address: String
    /// `alive`, `suspect`, `dead` or `left`.
    public var status: String
    public var incarnation: UInt64
    public var services: [String]

    public init(name: String, address: String, status: String, incarnation: UInt64, services: [String]) {
        self.name = name
        self.address = address
        self.status = status
        self.incarnation = incarnation
        self.services = services
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(name: "", address: "", status: "", incarnation: 0, services: [])
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: name = try f.string()
            case 2: address = try f.string()
            case 3: status = try f.string()
            case 4: incarnation = try f.uint()
            case 5: services.append(try f.string())
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, name)
        w.string(2, address)
        w.string(3, status)
        if incarnation != 0 { w.uint(4, incarnation) }
        for s in services { w.string(5, s) }
    }
}

/// What `mesh.admin/Members` returns: the answering node (listed too, as alive) and every member it knows,
/// tombstones included, sorted by name. Wire: `{1: node, 2*: member}`.
public struct MembersReport: WireMessage, Hashable {
    public var node: String
    public var members: [MemberInfo]

    public init(node: String, members: [MemberInfo]) {
        self.node = node
        self.members = members
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        self.init(node: "", members: [])
        var r = PayloadReader(bytes)
        while let f = try r.next() {
            switch f.number {
            case 1: node = try f.string()
            case 2: members.append(try f.message(MemberInfo.self))
            default: break
            }
        }
    }

    public func encode(to w: inout PayloadWriter) {
        w.string(1, node)
        for m in members { w.message(2, m) }
    }

    /// The report as an aligned text table (what `meshprobe members` prints).
    public func rendered() -> [String] {
        let header = ["NAME", "ADDRESS", "STATUS", "INCARNATION", "SERVICES"]
        let rows = members.map {
            [$0.name, $0.address, $0.status, "\($0.incarnation)", $0.services.joined(separator: ",")]
        }
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.indices.map { i in
                i == row.count - 1 ? row[i] : row[i].padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }
}
