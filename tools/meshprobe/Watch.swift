import ArgumentParser
import Foundation
import MeshNode
import MeshRPC
import MeshTransport

extension MeshProbe {
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A live view of one node's members and breakers, refreshed in place; q or Ctrl-C quits.",
            discussion: """
                In a terminal it redraws in place (alternate screen, raw keyboard, restored on exit). When \
                standard output is not a terminal it prints one block of plain lines per refresh (with --json one \
                JSON document per line) until --count refreshes or SIGINT/SIGTERM. A node that stops answering \
                is shown as unreachable and asked again at the next refresh. With --count the exit code is that \
                of the last refresh (0, 1 problem, 3 unreachable); quitting with q exits 0.
                """)

        @Argument(help: "The node, HOST:PORT.")
        var address: HostPort

        @Option(help: "Seconds between refreshes.")
        var interval: Double = 2

        @Option(help: "Stop after this many refreshes.")
        var count: Int?

        @OptionGroup var identity: ProbeIdentity
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard interval >= 0.1 else { throw ValidationError("--interval must be at least 0.1 seconds") }
            if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        }

        func run() async throws {
            let quit = QuitSignal()
            quit.catchSignals()
            let interactive = Terminal.isInteractive && !output.json
            let terminal = Terminal()
            if interactive {
                try terminal.enter()
                quit.watchKeys()
            }
            let transport: MeshTransport
            do {
                transport = try identity.transport()
            } catch {
                terminal.restore()
                throw error
            }
            var refreshes = 0
            var last = WatchSnapshot.Outcome.ok
            while !quit.isRaised {
                let snapshot = await WatchSnapshot.take(transport, address, identity.callOptions)
                last = snapshot.outcome
                refreshes += 1
                let width = interactive ? Terminal.columns : output.width
                if output.json {
                    printJSONLine(snapshot.json)
                } else if interactive {
                    terminal.draw(snapshot.lines(address: address, interval: interval, width: width, keys: true))
                } else {
                    print(
                        snapshot.lines(address: address, interval: interval, width: width, keys: false).joined(
                            separator: "\n"))
                    print("")
                }
                fflush(nil)
                if let count, refreshes >= count { break }
                let until = ContinuousClock.now + .seconds(interval)
                while !quit.isRaised && ContinuousClock.now < until { try? await Task.sleep(for: .milliseconds(50)) }
            }
            terminal.restore()
            await transport.shutdown()
            if quit.isRaised { return }
            switch last {
            case .ok: return
            case .problem: throw ExitCode(1)
            case .unreachable: throw ExitCode(ProbeFailure.unreachableCode)
            }
        }
    }
}

/// One refresh of `watch`: the node's members and breakers, or why it did not answer.
struct WatchSnapshot {
    enum Outcome { case ok, problem, unreachable }

    var time: Date
    var members: MembersJSON?
    var breakers: BreakersJSON?
    var failure: ProbeFailure?

    static func take(_ transport: MeshTransport, _ address: HostPort, _ options: CallOptions) async -> WatchSnapshot {
        var snapshot = WatchSnapshot(time: Date())
        do {
            let report = try await transport.call(AdminService.members, RawMessage([]), at: address, options: options)
            snapshot.members = MembersJSON(report, views: nil)
            let breakers = try await transport.call(
                AdminService.breakers, RawMessage([]), at: address, options: options)
            snapshot.breakers = BreakersJSON(nodes: [.init(breakers, address: address.description)])
        } catch {
            snapshot.failure = ProbeFailure(calling: address, error)
        }
        return snapshot
    }

    var outcome: Outcome {
        if failure != nil { return .unreachable }
        return (members?.problems ?? []).isEmpty && (breakers?.problems ?? []).isEmpty ? .ok : .problem
    }

    func lines(address: HostPort, interval: Double, width: Int?, keys: Bool) -> [String] {
        let stamp = ISO8601DateFormatter().string(from: time)
        var lines = [
            "meshprobe watch \(address)  every \(Format.oneDecimal(interval))s  \(stamp)" + (keys ? "  (q quits)" : "")
        ]
        if let failure {
            return lines + ["", "unreachable: \(failure.message)"]
        }
        if let members { lines += [""] + MembersTable.render(members, width: width) }
        if let node = breakers?.nodes.first { lines += [""] + BreakerTable.render(node, wide: false, width: width) }
        let problems = (members?.problems ?? []) + (breakers?.problems ?? [])
        if !problems.isEmpty { lines += ["", "problems:"] + problems.map { "  " + $0 } }
        return lines
    }

    /// `watch --json`: one line per refresh.
    struct JSON: Encodable {
        var time: String
        var members: MembersJSON?
        var breakers: BreakersJSON?
        var error: ErrorJSON?
    }

    var json: JSON {
        JSON(
            time: ISO8601DateFormatter().string(from: time), members: members, breakers: breakers,
            error: failure.map(ErrorJSON.init))
    }
}
