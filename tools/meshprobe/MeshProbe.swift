import ArgumentParser
import Foundation
import Logging
import MeshCore
import MeshNode
import MeshRPC
import MeshTransport
import NIOPosix

/// The operator's view of a running cluster.
///
/// Exit codes (every subcommand): 0 the answer is fine, 1 the answer shows a problem (a member suspect or
/// dead, a breaker not closed, damage in a log), 2 usage, 3 a node was unreachable or refused the probe.
@main
struct MeshProbe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshprobe",
        abstract: "Inspect running Mesh nodes over the authenticated RPC protocol, and their data offline.",
        discussion: """
            Exit codes: 0 ok, 1 the answer shows a problem, 2 usage, 3 unreachable or refused.
            Every subcommand takes --json for a stable machine-readable shape (README, "meshprobe").
            """,
        subcommands: [
            Info.self, Ping.self, Members.self, Breakers.self, Watch.self, LogCommand.self, Decode.self, Cert.self,
        ]
    )

    /// Runs the command line and exits with meshprobe's codes: ArgumentParser's usage errors become 2,
    /// a `ProbeFailure` its own code, an `ExitCode` passes through.
    static func main() async {
        let code: Int32
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            code = 0
        } catch let failure as ProbeFailure {
            failure.report()
            code = failure.exitCode
        } catch let exit as ExitCode {
            code = exit.rawValue
        } catch {
            let parserCode = exitCode(for: error)
            let message = fullMessage(for: error)
            if parserCode == .success {
                print(message)
                code = 0
            } else {
                FileHandle.standardError.write(Data((message + "\n").utf8))
                code = parserCode == .validationFailure ? ProbeFailure.usageCode : parserCode.rawValue
            }
        }
        Foundation.exit(code)
    }
}

/// How meshprobe authenticates itself to the cluster: always with the `operator` role, which the admin
/// service requires.
struct ProbeIdentity: ParsableArguments {
    @Option(help: "Name in meshprobe's certificate.")
    var probeName: String = "meshprobe"

    @Option(help: "Cluster trust file. Without --trust/--cert/--key the built-in development CA is used.")
    var trust: String?

    @Option(help: "meshprobe's certificate file (see 'meshprobe cert' for issuing one with the operator role).")
    var cert: String?

    @Option(help: "meshprobe's private key file.")
    var key: String?

    @Option(help: "Seconds to wait for an answer.")
    var timeout: Double = 5

    func validate() throws {
        let given = [trust, cert, key].compactMap { $0 }.count
        guard given == 0 || given == 3 else { throw ValidationError("--trust, --cert and --key go together") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func transport() throws(ProbeFailure) -> MeshTransport {
        let source: IdentitySource
        if let trust, let cert, let key {
            source = .files(trust: trust, certificate: cert, key: key)
        } else {
            source = .development
        }
        var logger = Logger(label: "meshprobe")
        logger.logLevel = .critical
        do {
            return MeshTransport(
                identity: try IdentityLoader.load(source, name: probeName, roles: ["operator"]),
                router: ServiceRouter(), group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        } catch {
            throw ProbeFailure(.usage, "cannot load meshprobe's identity: \(error)")
        }
    }

    var callOptions: CallOptions { CallOptions(timeout: .seconds(fractional: timeout)) }

    /// Asks the node at `address` one admin question and closes the connection, whatever the outcome.
    func ask<Response>(
        _ method: MethodDescriptor<RawMessage, Response>, at address: HostPort
    ) async throws(ProbeFailure) -> Response {
        let transport = try transport()
        do {
            let answer = try await transport.call(method, RawMessage([]), at: address, options: callOptions)
            await transport.shutdown()
            return answer
        } catch {
            await transport.shutdown()
            throw ProbeFailure(calling: address, error)
        }
    }
}

/// `HOST:PORT` as an argument.
extension HostPort: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
