import ArgumentParser
import Logging

/// `--log-level` and `--log-format`, for the subcommands that log but take no config file (`meshnode run` reads
/// both through `NodeSettings`).
struct LoggingOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Log format: logfmt or json (JSON lines).")
    var logFormat: String = "logfmt"

    func bootstrap(label: String) throws -> Logger {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("unknown log level '\(logLevel)'")
        }
        guard let format = LogFormat(rawValue: logFormat) else {
            throw ValidationError("unknown log format '\(logFormat)' (logfmt or json)")
        }
        return MeshLogHandler.bootstrap(format: format, level: level, label: label)
    }
}
