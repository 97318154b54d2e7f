/// One setting of `meshnode run`, and its three spellings: a flag, a `MESH_*` environment variable and a key of
/// the JSON config file. The config key is dotted (`log.format` is `{"log": {"format": …}}` in the file); the
/// environment name is derived from it the way swift-configuration's `EnvironmentVariablesProvider` looks keys up
/// (`MESH_` + the components, camel case split by `_`, upper-cased): `dataDir` is `MESH_DATA_DIR`.
struct NodeSetting: Hashable, Sendable {
    /// The config-file key, dotted.
    let key: String
    /// The flag, with its dashes.
    let flag: String
    /// What the value is, for the README's table and error messages.
    let summary: String

    /// The `MESH_*` environment variable.
    var environment: String {
        var name = "MESH"
        for component in key.split(separator: ".") {
            name += "_"
            var previousLowercase = false
            for ch in component {
                if previousLowercase && ch.isUppercase { name += "_" }
                name += ch.isLetter || ch.isNumber ? ch.uppercased() : "_"
                previousLowercase = ch.isLowercase
            }
        }
        return name
    }

    /// How an error names the setting: all three spellings, since the value may have come from any of them.
    var spellings: String { "\(flag) / \(environment) / \"\(key)\" in the config file" }

    static let name = NodeSetting(
        key: "name", flag: "--name", summary: "the node's stable name (must match its certificate); required")
    static let listen = NodeSetting(
        key: "listen", flag: "--listen", summary: "HOST:PORT to accept peers on (port 0: any free port)")
    static let advertise = NodeSetting(
        key: "advertise", flag: "--advertise", summary: "HOST:PORT other members reach this node at")
    static let seeds = NodeSetting(
        key: "seeds", flag: "--seed", summary: "HOST:PORT of nodes to join through (list)")
    static let services = NodeSetting(
        key: "services", flag: "--services", summary: "hosted services to run, e.g. inventory,payments (list)")
    static let roles = NodeSetting(
        key: "roles", flag: "--roles", summary: "roles for the development certificate (list)")
    static let dataDir = NodeSetting(
        key: "dataDir", flag: "--data-dir", summary: "directory for durable state (created if missing)")
    static let trust = NodeSetting(
        key: "trust", flag: "--trust", summary: "cluster trust file (with cert and key; none: development CA)")
    static let cert = NodeSetting(key: "cert", flag: "--cert", summary: "this node's certificate file")
    static let key = NodeSetting(key: "key", flag: "--key", summary: "this node's private key file")
    static let adminHTTP = NodeSetting(
        key: "adminHttp", flag: "--admin-http", summary: "HOST:PORT of /metrics, /healthz, /readyz (none: off)")
    static let edgeHTTP = NodeSetting(
        key: "http", flag: "--http", summary: "HOST:PORT of the edge's HTTP/JSON API (edge role)")
    static let logFormat = NodeSetting(
        key: "log.format", flag: "--log-format", summary: "logfmt or json (JSON lines), on standard error")
    static let logLevel = NodeSetting(
        key: "log.level", flag: "--log-level", summary: "trace, debug, info, notice, warning, error, critical")
    static let drainTimeout = NodeSetting(
        key: "drainTimeout", flag: "--drain-timeout",
        summary: "seconds SIGTERM waits for in-flight calls before closing anyway")
    static let peers = NodeSetting(
        key: "peers", flag: "--peer", summary: "static routes SERVICE=NAME@HOST:PORT (list)")
    static let tags = NodeSetting(
        key: "tags", flag: "--tag", summary: "labels advertised to the cluster, KEY=VALUE (list)")

    /// Every setting, in the order the README lists them.
    static let all: [NodeSetting] = [
        name, listen, advertise, seeds, services, roles, dataDir, trust, cert, key, adminHTTP, edgeHTTP, logFormat,
        logLevel, drainTimeout, peers, tags,
    ]

    /// The setting that names the config file itself (flag and environment only).
    static let configFile = NodeSetting(key: "config", flag: "--config", summary: "JSON config file")
}
