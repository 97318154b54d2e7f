import ArgumentParser
import Foundation
import MeshRPC
import MeshTransport
import MeshWire

/// Why meshprobe could not give an answer, with the exit code it maps to.
///
/// Reported as one line on standard error and, with `--json`, as `{"error": {...}}` on standard output.
struct ProbeFailure: Error, Sendable, CustomStringConvertible {
    enum Kind: String, Sendable, Encodable {
        /// The command line or a file it names cannot be used (exit 2).
        case usage
        /// The node did not answer: refused connection, timeout, went away (exit 3).
        case unreachable
        /// The node answered but refused the probe: handshake rejected, operator role missing (exit 3).
        case refused
    }

    static let usageCode: Int32 = 2
    static let unreachableCode: Int32 = 3

    var kind: Kind
    var message: String
    /// The RPC status code name, when the failure came from a call.
    var code: String?
    /// Set by commands run with `--json`, so the failure is also printed as JSON.
    var json = false

    init(_ kind: Kind, _ message: String, code: String? = nil) {
        self.kind = kind
        self.message = message
        self.code = code
    }

    /// Classifies a failed call to `address`: refusals (`unauthenticated`, `permissionDenied`) apart from
    /// everything else that kept an answer from coming back.
    init(calling address: HostPort, _ error: any Error) {
        guard let rpc = error as? RPCError else {
            self.init(.unreachable, "\(address): \(error)")
            return
        }
        let refused: Set<RPCStatus.Code> = [.unauthenticated, .permissionDenied]
        self.init(
            refused.contains(rpc.code) ? .refused : .unreachable, "\(address): \(rpc)", code: "\(rpc.code)")
    }

    var exitCode: Int32 { kind == .usage ? Self.usageCode : Self.unreachableCode }

    var description: String { "meshprobe: \(kind): \(message)" }

    func withJSON(_ on: Bool) -> ProbeFailure {
        var copy = self
        copy.json = on
        return copy
    }

    func report() {
        FileHandle.standardError.write(Data((description + "\n").utf8))
        if json { printJSON(ErrorDocument(error: .init(kind: kind, code: code, message: message))) }
    }

    private struct ErrorDocument: Encodable {
        struct Body: Encodable {
            var kind: Kind
            var code: String?
            var message: String
        }
        var error: Body
    }
}

/// Options every subcommand shares for its output.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document (shapes in the README) instead of tables.")
    var json = false

    @Flag(help: "Do not shorten tables to 80 columns.")
    var wide = false

    var width: Int? { wide ? nil : 80 }

    /// Runs `body`, marking a failure it throws as one to print as JSON too when `--json` is on.
    func run<T>(_ body: () async throws(ProbeFailure) -> T) async throws(ProbeFailure) -> T {
        do {
            return try await body()
        } catch {
            throw error.withJSON(json)
        }
    }
}

/// Prints `value` as pretty, key-sorted JSON (the stable shapes of the README).
func printJSON<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    } catch {
        FileHandle.standardError.write(Data("meshprobe: cannot encode JSON: \(error)\n".utf8))
    }
}

/// Prints `value` as one line of key-sorted JSON (a stream of documents, one per line).
func printJSONLine<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do {
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    } catch {
        FileHandle.standardError.write(Data("meshprobe: cannot encode JSON: \(error)\n".utf8))
    }
}

/// Exits 1 when the answer shows a problem, after the answer has been printed.
func finish(problems: [String]) throws {
    if !problems.isEmpty { throw ExitCode(1) }
}
