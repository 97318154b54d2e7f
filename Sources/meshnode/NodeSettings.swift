import Configuration
import Foundation
import Logging
import MeshCore
import MeshNode
import MeshTransport

/// Everything `meshnode run` was told, resolved in one place and in one order of precedence:
/// **flags > `MESH_*` environment variables > the JSON config file (`--config` / `MESH_CONFIG`) > defaults**.
///
/// Invariant: a `NodeSettings` is valid: every address parsed, identity files given all three or none, the level and
/// format known. Anything else is refused by `resolve` with a `SettingsError` that names the setting's spellings.
struct NodeSettings: Sendable {
    /// What the node runtime needs.
    var configuration: NodeConfiguration
    /// Hosted services to run (`--services`, `MESH_SERVICES`).
    var services: [String]
    /// Where the admin HTTP endpoint listens; nil: not served.
    var adminHTTP: HostPort?
    /// Where the edge's HTTP API listens (edge role); nil: not served.
    var edgeHTTP: HostPort?
    var logFormat: LogFormat
    var logLevel: Logger.Level
    /// How long SIGTERM waits for in-flight calls (also the transport's shutdown grace).
    var drainTimeout: MeshDuration

    static let defaultListen = "127.0.0.1:7400"
    static let defaultDataDir = "./mesh-data"
    static let defaultDrainTimeoutSeconds = 15.0

    /// Values given as flags, by setting (the flags' `ConfigContent`: `.string` or `.stringArray`).
    typealias FlagValues = [NodeSetting: ConfigContent]

    /// Resolves the settings. `configFile` is the `--config` flag; without it `MESH_CONFIG` names the file; without
    /// both there is none. `extra` carries the flag-only knobs (test echo, SWIM timers) into the configuration.
    static func resolve(
        flags: FlagValues,
        environment: [String: String],
        configFile: String?,
        extra: (inout NodeConfiguration) throws(SettingsError) -> Void = { _ throws(SettingsError) in }
    ) async throws(SettingsError) -> NodeSettings {
        var providers: [any ConfigProvider] = [
            InMemoryProvider(
                name: "flags",
                values: Dictionary(
                    uniqueKeysWithValues: flags.map {
                        (AbsoluteConfigKey(ConfigKey($0.key.key)), ConfigValue($0.value, isSecret: false))
                    })),
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "mesh"),
        ]
        if let path = configFile ?? environment[NodeSetting.configFile.environment] {
            providers.append(try await jsonFile(path))
        }
        let reader = ConfigReader(providers: providers)
        return try await Resolver(reader: reader).settings(extra: extra)
    }

    /// The JSON config file as a provider, after checking that every key in it is a known setting (a typo in a
    /// file would otherwise be silently ignored).
    static func jsonFile(_ path: String) async throws(SettingsError) -> any ConfigProvider {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SettingsError(.unreadableFile, "cannot read config file \(path): \(error.localizedDescription)")
        }
        let top: Any
        do {
            top = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw SettingsError(.malformedFile, "config file \(path) is not valid JSON: \(error.localizedDescription)")
        }
        guard let object = top as? [String: Any] else {
            throw SettingsError(.malformedFile, "config file \(path) must hold a JSON object")
        }
        let known = Set(NodeSetting.all.map(\.key))
        let unknown = Self.dottedKeys(object, prefix: "").filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw SettingsError(
                .unknownSetting,
                "config file \(path) has unknown keys \(unknown.joined(separator: ", ")); known: \(known.sorted().joined(separator: ", "))"
            )
        }
        do {
            let location = InMemoryProvider(values: ["filePath": ConfigValue(.string(path), isSecret: false)])
            return try await FileProvider<JSONSnapshot>(config: ConfigReader(provider: location))
        } catch {
            throw SettingsError(.malformedFile, "config file \(path) cannot be used: \(error)")
        }
    }

    /// The leaf keys of a JSON object, dotted (`{"log": {"level": "info"}}` has `log.level`).
    private static func dottedKeys(_ object: [String: Any], prefix: String) -> [String] {
        object.flatMap { key, value -> [String] in
            let full = prefix.isEmpty ? key : "\(prefix).\(key)"
            if let nested = value as? [String: Any] { return dottedKeys(nested, prefix: full) }
            return [full]
        }
    }
}

/// The values read through one `ConfigReader`, each turned into its type with an error naming the setting.
private struct Resolver {
    let reader: ConfigReader

    func string(_ setting: NodeSetting) async throws(SettingsError) -> String? {
        do {
            return try await reader.fetchString(forKey: ConfigKey(setting.key))
        } catch {
            throw SettingsError(.invalidValue, "\(setting.spellings): expected a string: \(error)")
        }
    }

    /// A list: an array in the file, comma-separated in the environment, repeated flags. Empty items are dropped.
    func list(_ setting: NodeSetting) async throws(SettingsError) -> [String] {
        let values: [String]?
        do {
            values = try await reader.fetchStringArray(forKey: ConfigKey(setting.key))
        } catch {
            throw SettingsError(.invalidValue, "\(setting.spellings): expected a list of strings: \(error)")
        }
        return (values ?? []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func address(_ setting: NodeSetting) async throws(SettingsError) -> HostPort? {
        guard let text = try await string(setting) else { return nil }
        return try parse(text, setting)
    }

    func parse(_ text: String, _ setting: NodeSetting) throws(SettingsError) -> HostPort {
        guard let address = HostPort(text) else {
            throw SettingsError(.invalidValue, "\(setting.spellings): '\(text)' is not HOST:PORT (IPv6 as [::1]:PORT)")
        }
        return address
    }

    func settings(
        extra: (inout NodeConfiguration) throws(SettingsError) -> Void
    ) async throws(SettingsError) -> NodeSettings {
        guard let name = try await string(.name), !name.isEmpty else {
            throw SettingsError(.missingSetting, "the node needs a name: \(NodeSetting.name.spellings)")
        }
        guard !name.contains("/"), !name.contains(where: \.isWhitespace) else {
            throw SettingsError(.invalidValue, "\(NodeSetting.name.spellings): '\(name)' has a '/' or a space")
        }
        let listen = try parse(try await string(.listen) ?? NodeSettings.defaultListen, .listen)
        var seeds: [HostPort] = []
        for seed in try await list(.seeds) { seeds.append(try parse(seed, .seeds)) }

        let identityFiles = [try await string(.trust), try await string(.cert), try await string(.key)]
        let identity: IdentitySource
        switch identityFiles.compactMap({ $0 }).count {
        case 0: identity = .development
        case 3: identity = .files(trust: identityFiles[0]!, certificate: identityFiles[1]!, key: identityFiles[2]!)
        default:
            throw SettingsError(
                .invalidValue,
                "give all of trust, cert and key (\(NodeSetting.trust.flag) / \(NodeSetting.trust.environment), "
                    + "\(NodeSetting.cert.flag) / \(NodeSetting.cert.environment), \(NodeSetting.key.flag) / "
                    + "\(NodeSetting.key.environment)), or none for the development CA")
        }

        var routes = ServiceRoutes()
        for peer in try await list(.peers) {
            do throws(RoutingError) {
                try routes.add(flag: peer)
            } catch {
                throw SettingsError(.invalidValue, "\(NodeSetting.peers.spellings): \(error.message)")
            }
        }
        var tags: [String: String] = [:]
        for tag in try await list(.tags) {
            guard let eq = tag.firstIndex(of: "="), eq != tag.startIndex else {
                throw SettingsError(.invalidValue, "\(NodeSetting.tags.spellings): '\(tag)' is not KEY=VALUE")
            }
            tags[String(tag[..<eq])] = String(tag[tag.index(after: eq)...])
        }

        let formatText = try await string(.logFormat) ?? LogFormat.logfmt.rawValue
        guard let format = LogFormat(rawValue: formatText) else {
            throw SettingsError(
                .invalidValue, "\(NodeSetting.logFormat.spellings): '\(formatText)' is not logfmt or json")
        }
        let levelText = try await string(.logLevel) ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else {
            throw SettingsError(
                .invalidValue,
                "\(NodeSetting.logLevel.spellings): '\(levelText)' is not one of trace, debug, info, notice, warning, error, critical"
            )
        }
        let drainSeconds: Double
        do {
            drainSeconds = try await reader.fetchDouble(
                forKey: ConfigKey(NodeSetting.drainTimeout.key), default: NodeSettings.defaultDrainTimeoutSeconds)
        } catch {
            throw SettingsError(.invalidValue, "\(NodeSetting.drainTimeout.spellings): expected seconds: \(error)")
        }
        guard drainSeconds > 0, drainSeconds <= 3600 else {
            throw SettingsError(
                .invalidValue, "\(NodeSetting.drainTimeout.spellings): \(drainSeconds) is not in (0, 3600] seconds")
        }
        let drainTimeout = MeshDuration.milliseconds(Int64(drainSeconds * 1000))

        var configuration = NodeConfiguration(
            name: name,
            listen: listen,
            seeds: seeds,
            dataDirectory: try await string(.dataDir) ?? NodeSettings.defaultDataDir,
            identity: identity,
            roles: try await list(.roles),
            peers: routes,
            membership: MembershipOptions(advertise: try await address(.advertise), tags: tags)
        )
        configuration.transport.shutdownGrace = drainTimeout
        configuration.services = try await list(.services)
        try extra(&configuration)
        return NodeSettings(
            configuration: configuration,
            services: configuration.services,
            adminHTTP: try await address(.adminHTTP),
            edgeHTTP: try await address(.edgeHTTP),
            logFormat: format,
            logLevel: level,
            drainTimeout: drainTimeout
        )
    }
}

/// `meshnode run` could not be configured: which setting, and why.
struct SettingsError: Error, CustomStringConvertible, Sendable {
    struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case missingSetting, invalidValue, unknownSetting, unreadableFile, malformedFile
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// A required setting (the name) was given nowhere.
        static let missingSetting = Code(.missingSetting)
        /// A value does not parse, or settings contradict each other.
        static let invalidValue = Code(.invalidValue)
        /// The config file has a key that is no setting.
        static let unknownSetting = Code(.unknownSetting)
        /// The config file cannot be read.
        static let unreadableFile = Code(.unreadableFile)
        /// The config file is not a JSON object of settings.
        static let malformedFile = Code(.malformedFile)
        var description: String { "\(value)" }
    }

    var code: Code
    var message: String
    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    var description: String { message }
}

/// How log lines are written.
enum LogFormat: String, Sendable, CaseIterable {
    /// `ts=… level=info msg="…" key=value`, one line per record.
    case logfmt
    /// One JSON object per line.
    case json
}
