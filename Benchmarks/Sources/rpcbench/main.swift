import Foundation
import RPCBenchKit

/// Prints the line `ServerProcess` waits for and flushes it through the pipe.
func announceListening(port: Int) {
    print("LISTENING \(port)")
    fflush(nil)  // stdout is a pipe (fully buffered): push the line to the waiting driver now
}

/// The targets `--targets` may name, in report order.
func makeTarget(named name: String) throws(BenchError) -> any EchoTarget {
    switch name {
    case "grpc": return GRPCEchoTarget()
    case "nio": return NIOEchoTarget(kind: .inLoop)
    case "nio-async": return NIOEchoTarget(kind: .async)
    case "mesh": return MeshEchoTarget(callers: .tasks)
    case "mesh-loop": return MeshEchoTarget(callers: .tasksOnEventLoop)
    case "mesh-future": return MeshEchoTarget(callers: .futuresOnEventLoop)
    default:
        throw BenchError(.usage, "unknown target \(name); known: grpc, nio, nio-async, mesh, mesh-loop, mesh-future")
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

do {
    switch try BenchCommand.parse(Array(CommandLine.arguments.dropFirst())) {
    case .help:
        print(BenchCommand.usage)
    case .serve(let target, let port):
        switch target {
        case "grpc":
            try await GRPCEchoTarget.serve(port: port)
        case "nio":
            try await NIOEchoServer.serve(port: port, announce: announceListening(port:))
        case "mesh":
            try await MeshEchoTarget.serve(port: port)
        default:
            throw BenchError(.usage, "nothing to serve for serve-\(target)")
        }
    case .run(let options):
        let targets = try options.targets.map { name throws(BenchError) in try makeTarget(named: name) }
        let host = HostInfo.current()
        printError("rpcbench: \(host.summary)")
        let outcomes = await BenchDriver(options: options).run(targets) { printError("  " + $0) }
        print("## rpcbench: unary echo over loopback")
        print("")
        print("- \(host.summary)")
        print(
            "- \(options.seconds) s per cell after \(options.warmUpSeconds) s warm-up; closed loop; "
                + "servers in child processes; one connection per cell")
        print("")
        print(ReportTable.render(outcomes))
        if options.targets.contains(where: { $0.hasPrefix("mesh") }) { print(MeshCryptoCosts.report()) }
        if outcomes.contains(where: { if case .failed = $0.result { true } else { false } }) {
            printError("rpcbench: some cells failed:")
            for case let (outcome, .failed(error)) in outcomes.map({ ($0, $0.result) }) {
                printError("  \(outcome.target) \(outcome.payloadSize) B c=\(outcome.concurrency): \(error)")
            }
            exit(1)
        }
    }
} catch let error as BenchError {
    printError("rpcbench: \(error)")
    if error.code == .usage { printError(BenchCommand.usage) }
    exit(2)
} catch {
    printError("rpcbench: \(error)")
    exit(1)
}
