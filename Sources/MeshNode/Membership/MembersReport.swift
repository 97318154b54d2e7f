import MeshCore
import MeshWire

/// One row of `mesh.admin/Members`: a member as the answering node sees it.
///
/// Wire: `{1: name, 2: address, 3: status, 4: incarnation, 5*: service, 6: version, 7: statusAgeMillis}`.
public struct MemberInfo: WireMessage, Hashable {
    public var name: String
    public var address: String
    /// `alive`, `suspect`, `dead` or `left`.
    public var status: String
    public var incarnation: UInt64
    public var services: [String]
    /// The build version the member advertises (empty when it advertises none).
    public var version: String
    /// How long ago, by the answering node's clock, the member's status last changed; nil when unknown
    /// (the answering node's own row, and reports from nodes that do not send field 7).
    public var statusAge: MeshDuration?

    public init(
        name: String, address: String, status: String, incarnation: UInt64, services: [String],
        version: String = "", statusAge: MeshDuration? = nil
    ) {
        self.name = name
        self.address = address
        self.status = status
        self.incarnation = incarnation
        self.services = services
        self.version = version
        self.statusAge = statusAge
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
            case 6: version = try f.string()
            case 7: statusAge = .milliseconds(Int64(min(try f.uint(), UInt64(Int64.max / 1_000_000))))
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
        if !version.isEmpty { w.string(6, version) }
        if let statusAge { w.uint(7, UInt64(max(0, statusAge.nanoseconds / 1_000_000))) }
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
}
