import Foundation
import Logging
import MeshRPC

#if canImport(Glibc)
import Glibc
#endif

/// meshnode's swift-log backend: one line per record on standard error, as logfmt or as a JSON object.
///
/// Every line written while a call is served (or made from a served call) carries the call's trace: `trace.id`
/// and `span.id` from `CallScope.trace`, whatever logger the code used (`CallScope.logger`'s `trace-id`/`span-id`
/// entries are written under the same dotted names, never twice). Each line goes out in one unbuffered `write`,
/// so nothing is left in a buffer when the process exits and concurrent lines do not interleave.
struct MeshLogHandler: LogHandler {
    let label: String
    let format: LogFormat
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    /// Where lines go; standard error unless a test captures them.
    let sink: @Sendable (String) -> Void

    init(
        label: String, format: LogFormat, level: Logger.Level,
        sink: @escaping @Sendable (String) -> Void = MeshLogHandler.writeToStandardError
    ) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.sink = sink
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let traceID = merged.removeValue(forKey: "trace-id") { merged["trace.id"] = traceID }
        if let spanID = merged.removeValue(forKey: "span-id") { merged["span.id"] = spanID }
        if merged["trace.id"] == nil, let trace = CallScope.trace {
            merged["trace.id"] = .string(trace.traceID)
            merged["span.id"] = .string(trace.spanIDString)
        }
        sink(
            Self.line(
                format: format, timestamp: Date(), level: event.level, label: label, message: "\(event.message)",
                metadata: merged))
    }

    /// One record as a line (with its newline). Keys are sorted, after `ts`, `level`, `logger` and `msg`.
    static func line(
        format: LogFormat, timestamp: Date, level: Logger.Level, label: String, message: String,
        metadata: Logger.Metadata
    ) -> String {
        let ts = timestampText(timestamp)
        let keys = metadata.keys.sorted()
        switch format {
        case .logfmt:
            var out = "ts=\(ts) level=\(level) logger=\(logfmtValue(label)) msg=\(logfmtValue(message))"
            for key in keys { out += " \(logfmtKey(key))=\(logfmtValue(flat(metadata[key]!)))" }
            return out + "\n"
        case .json:
            var out = "{\"ts\":\(jsonString(ts)),\"level\":\(jsonString("\(level)")),"
            out += "\"logger\":\(jsonString(label)),\"msg\":\(jsonString(message))"
            for key in keys { out += ",\(jsonString(key)):\(json(metadata[key]!))" }
            return out + "}\n"
        }
    }

    /// RFC 3339 in UTC with milliseconds: `2026-12-04T21:10:00.123Z`.
    static func timestampText(_ date: Date) -> String {
        let totalMilliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(totalMilliseconds / 1000)
        let millis = Int(totalMilliseconds % 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    /// A metadata value as one string (logfmt has no nesting).
    static func flat(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let items): return "[" + items.map(flat).joined(separator: ",") + "]"
        case .dictionary(let d):
            return "{" + d.keys.sorted().map { "\($0)=\(flat(d[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    /// A logfmt key: characters other than letters, digits and `._-/` become `_`.
    static func logfmtKey(_ key: String) -> String {
        String(key.map { $0.isLetter || $0.isNumber || "._-/".contains($0) ? $0 : "_" })
    }

    /// A logfmt value: bare when it has no space, quote, `=` or control character; else quoted with escapes.
    static func logfmtValue(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || $0.value < 0x20 }
        guard needsQuotes else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return jsonString(s)
        case .stringConvertible(let c): return jsonString(c.description)
        case .array(let items): return "[" + items.map(json).joined(separator: ",") + "]"
        case .dictionary(let d):
            return "{" + d.keys.sorted().map { "\(jsonString($0)):\(json(d[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal (RFC 8259 escapes; everything else passes through as UTF-8).
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Writes the whole line with `write(2)` (retrying short writes and EINTR).
    @Sendable static func writeToStandardError(_ line: String) {
        var bytes = Array(line.utf8)
        var offset = 0
        bytes.withUnsafeMutableBytes { buffer in
            while offset < buffer.count {
                let n = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// Installs the handler as the process's swift-log backend and returns a logger labelled `label`.
    static func bootstrap(format: LogFormat, level: Logger.Level, label: String) -> Logger {
        LoggingSystem.bootstrap { label in MeshLogHandler(label: label, format: format, level: level) }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}
