import ArgumentParser
import MeshNode
import MeshTransport

extension MeshProbe {
    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the cluster as a node sees it: name, address, state, incarnation, services, version, age.",
            discussion: """
                AGE is how long ago the answering node saw the member's state change. With --all every alive \
                member is asked too, and members on which the views differ (state or incarnation) are listed. \
                Exit 1 when a member is suspect or dead, a view differs, or an alive member does not answer.
                """)

        @Argument(help: "The node, HOST:PORT.")
        var address: HostPort

        @Flag(help: "Ask every alive member too and show where their views disagree.")
        var all = false

        @OptionGroup var identity: ProbeIdentity
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let result = try await output.run { () async throws(ProbeFailure) in try await collect() }
            if output.json {
                printJSON(result)
            } else {
                for line in MembersTable.render(result, width: output.width) { print(line) }
            }
            try finish(problems: result.problems)
        }

        private func collect() async throws(ProbeFailure) -> MembersJSON {
            let report = try await identity.ask(AdminService.members, at: address)
            guard all else { return MembersJSON(report, views: nil) }
            var views: [MembersJSON.View] = [.init(viewer: report.node, address: address.description, report)]
            for member in report.members where member.status == "alive" && member.name != report.node {
                guard let at = HostPort(member.address) else {
                    let failure = ProbeFailure(.unreachable, "member address '\(member.address)' is not HOST:PORT")
                    views.append(.init(viewer: member.name, address: member.address, failure))
                    continue
                }
                do {
                    let view = try await identity.ask(AdminService.members, at: at)
                    views.append(.init(viewer: member.name, address: member.address, view))
                } catch {
                    views.append(.init(viewer: member.name, address: member.address, error))
                }
            }
            return MembersJSON(report, views: views)
        }
    }
}

/// `meshprobe members --json`.
struct MembersJSON: Encodable {
    struct Member: Encodable {
        var name: String
        var address: String
        /// `alive`, `suspect`, `dead` or `left`.
        var state: String
        var incarnation: UInt64
        var services: [String]
        var version: String
        /// Seconds since the answering node saw the state change; absent when unknown (the node's own row).
        var stateAgeSeconds: Double?

        init(_ m: MemberInfo) {
            name = m.name
            address = m.address
            state = m.status
            incarnation = m.incarnation
            services = m.services
            version = m.version
            stateAgeSeconds = m.statusAge.map { ($0.seconds * 1000).rounded() / 1000 }
        }
    }
    /// One member's view (`--all`): its members, or why it did not answer.
    struct View: Encodable {
        var viewer: String
        var address: String
        var members: [Member]?
        var error: ErrorJSON?

        init(viewer: String, address: String, _ report: MembersReport) {
            self.viewer = viewer
            self.address = address
            members = report.members.map(Member.init)
        }

        init(viewer: String, address: String, _ failure: ProbeFailure) {
            self.viewer = viewer
            self.address = address
            error = ErrorJSON(failure)
        }
    }
    /// A member the views do not agree on: what each viewer that answered says (`state` `unknown` when the
    /// viewer does not list it).
    struct Disagreement: Encodable {
        struct Seen: Encodable, Equatable {
            var viewer: String
            var state: String
            var incarnation: UInt64
        }
        var member: String
        var views: [Seen]
    }

    var node: String
    var members: [Member]
    /// Empty without `--all`.
    var views: [View]
    var disagreements: [Disagreement]
    var problems: [String]

    init(_ report: MembersReport, views: [View]?) {
        node = report.node
        members = report.members.map(Member.init)
        self.views = views ?? []
        disagreements = Self.disagreements(self.views)
        problems = report.members.filter { $0.status == "suspect" || $0.status == "dead" }.map {
            "\($0.name) is \($0.status) (seen by \(report.node))"
        }
        problems += self.views.compactMap { v in v.error.map { "\(v.viewer) did not answer: \($0.message)" } }
        problems += disagreements.map { d in
            "views differ on \(d.member): "
                + d.views.map { "\($0.viewer) says \($0.state)/\($0.incarnation)" }.joined(separator: ", ")
        }
    }

    /// Members whose (state, incarnation) is not the same in every view that answered.
    static func disagreements(_ views: [View]) -> [Disagreement] {
        let answered = views.filter { $0.members != nil }
        guard answered.count > 1 else { return [] }
        let names = Set(answered.flatMap { $0.members!.map(\.name) }).sorted()
        return names.compactMap { name in
            let seen = answered.map { v in
                let m = v.members!.first { $0.name == name }
                return Disagreement.Seen(
                    viewer: v.viewer, state: m?.state ?? "unknown", incarnation: m?.incarnation ?? 0)
            }
            let first = seen[0]
            let same = seen.allSatisfy { $0.state == first.state && $0.incarnation == first.incarnation }
            return same ? nil : Disagreement(member: name, views: seen)
        }
    }
}

/// A failure as it appears inside a JSON answer.
struct ErrorJSON: Encodable {
    var kind: ProbeFailure.Kind
    var code: String?
    var message: String

    init(_ failure: ProbeFailure) {
        kind = failure.kind
        code = failure.code
        message = failure.message
    }
}

/// `meshprobe members` for humans.
enum MembersTable {
    static func render(_ result: MembersJSON, width: Int?) -> [String] {
        var table = TextTable(
            ["NAME", "ADDRESS", "STATE", "INC", "SERVICES", "VERSION", "AGE"], shrinkable: [0, 1, 4, 5])
        for m in result.members {
            table.append([
                m.name, m.address, m.state, "\(m.incarnation)",
                m.services.isEmpty ? "-" : m.services.joined(separator: ","),
                m.version.isEmpty ? "-" : m.version, m.stateAgeSeconds.map { Format.age(seconds: $0) } ?? "-",
            ])
        }
        var lines = ["node \(result.node): \(result.members.count) members"] + table.render(width: width)
        guard !result.views.isEmpty else { return lines }
        let answered = result.views.filter { $0.members != nil }
        lines.append("")
        lines.append("views: \(answered.count) of \(result.views.count) alive members answered")
        for v in result.views { if let e = v.error { lines.append("  \(v.viewer) at \(v.address): \(e.message)") } }
        if result.disagreements.isEmpty {
            lines.append(answered.count > 1 ? "all views agree" : "nothing to compare")
            return lines
        }
        var diff = TextTable(["MEMBER"] + answered.map(\.viewer), shrinkable: Set(0...answered.count))
        for d in result.disagreements { diff.append([d.member] + d.views.map { "\($0.state)/\($0.incarnation)" }) }
        lines.append("views differ on \(result.disagreements.count) members (state/incarnation per viewer):")
        return lines + diff.render(width: width)
    }
}
