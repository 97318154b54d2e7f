import ArgumentParser
import Foundation
import MeshWire

extension MeshProbe {
    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode frames (hex, stdin or a capture file) per proto-spec: headers and bodies.",
            discussion: """
                Input: HEX as an argument; else --file PATH (raw bytes of one direction of a connection, or hex \
                text); else standard input (hex text or raw bytes). Handshake frames (hello, welcome, auth) and \
                plaintext goAway decode fully, certificates included. Frames after the sender's last handshake \
                frame are sealed: without the session keys only the header, the ciphertext length, the tag and \
                the nonce counter can be shown. A capture with no handshake frame is read as plaintext unless \
                --phase sealed. --body NAME decodes one bare message instead (RequestHead, ResponseHead, \
                CancelBody, PingBody, GoAwayBody, SettingsBody, Hello, Welcome, Auth, NodeCertificate, \
                CertificateBody). Exit 1 when a frame or body is invalid.
                """)

        @Argument(help: "Bytes in hex (spaces and ':' allowed).")
        var hex: String?

        @Option(help: "A capture file: raw bytes or hex text.")
        var file: String?

        @Option(help: "Decode one bare message body of this type instead of frames.")
        var body: String?

        @Option(help: "auto, plaintext or sealed (see above).")
        var phase: String = "auto"

        @Option(help: "Largest frame body accepted, in bytes.")
        var maxBodyLength: Int = FrameDecoder.defaultMaxBodyLength

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard FrameDump.Phase(rawValue: phase) != nil else {
                throw ValidationError("--phase must be auto, plaintext or sealed")
            }
            if let body, FrameSchemas.byName[body.lowercased()] == nil {
                throw ValidationError(
                    "unknown body '\(body)'; known: \(FrameSchemas.byName.values.map(\.name).sorted().joined(separator: ", "))"
                )
            }
            guard hex == nil || file == nil else { throw ValidationError("give HEX or --file, not both") }
        }

        func run() throws {
            let bytes = try input().get()
            if let body, let schema = FrameSchemas.byName[body.lowercased()] {
                let decoded = FrameDump.bare(schema, bytes)
                if output.json {
                    printJSON(decoded)
                } else {
                    print("\(decoded.message), \(decoded.bytes) bytes")
                    if let fields = decoded.fields {
                        for line in DecodeText.fields(fields, indent: "  ") { print(line) }
                    }
                    if let error = decoded.error { print("  invalid: \(error)") }
                }
                try finish(problems: decoded.error.map { [$0] } ?? [])
                return
            }
            let dump = FrameDump(phase: FrameDump.Phase(rawValue: phase)!, maxBodyLength: maxBodyLength)
            let result = dump.decode(bytes)
            if output.json {
                printJSON(result)
            } else {
                for line in DecodeText.frames(result) { print(line) }
            }
            try finish(problems: result.problems)
        }

        private func input() -> Result<[UInt8], ProbeFailure> {
            func fail(_ message: String) -> Result<[UInt8], ProbeFailure> {
                .failure(ProbeFailure(.usage, message).withJSON(output.json))
            }
            if let hex {
                guard let bytes = Hex.bytes(hex) else { return fail("'\(hex.prefix(40))' is not hex") }
                return .success(bytes)
            }
            let data: Data
            if let file {
                guard let d = FileManager.default.contents(atPath: file) else { return fail("cannot read \(file)") }
                data = d
            } else {
                data = FileHandle.standardInput.readDataToEndOfFile()
            }
            // Hex text if it is nothing but hex digits and separators, raw bytes otherwise.
            if let text = String(data: data, encoding: .utf8), let bytes = Hex.bytes(text) { return .success(bytes) }
            return .success(Array(data))
        }
    }
}

/// `meshprobe decode` for humans: one line per frame header, then the body's fields indented.
enum DecodeText {
    static func frames(_ result: DecodeJSON) -> [String] {
        var lines: [String] = []
        for f in result.frames {
            let name = f.typeName ?? "type 0x" + String(f.type, radix: 16)
            lines.append(
                "@\(f.offset) \(name) stream \(f.streamID) len \(f.length) version \(f.version)"
                    + (f.flags == 0 ? "" : " flags 0x" + String(f.flags, radix: 16)) + ", body \(f.bodyBytes) bytes")
            if let s = f.sealed {
                lines.append(
                    "  sealed: \(s.ciphertextBytes) bytes of ciphertext, tag \(s.tag), nonce counter \(s.nonceCounter)")
            }
            if let message = f.message, let fields = f.fields {
                lines.append("  \(message)")
                lines += Self.fields(fields, indent: "    ")
            }
            if let e = f.error { lines.append("  invalid: \(e)") }
        }
        if let t = result.trailing { lines.append("@\(t.offset) \(t.bytes) bytes left: \(t.reason)") }
        if result.frames.isEmpty && result.trailing == nil { lines.append("no bytes") }
        return lines
    }

    static func fields(_ fields: [DecodedField], indent: String) -> [String] {
        fields.flatMap { f -> [String] in
            let label = indent + "\(f.field)" + (f.name.map { " \($0)" } ?? "") + ": "
            switch f.value {
            case .message(let inner): return [label + "{"] + Self.fields(inner, indent: indent + "  ") + [indent + "}"]
            case .string(let s): return [label + "\"\(s)\""]
            case .bytes(let b): return [label + "<\(Hex.string(b))> (\(b.count) bytes)"]
            case .varint(let v), .fixed64(let v): return [label + "\(v)"]
            case .sint(let v): return [label + "\(v)"]
            case .fixed32(let v): return [label + "\(v)"]
            }
        }
    }
}
