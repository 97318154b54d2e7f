import Foundation
import Logging
import MeshNode
import MeshTransport
import Testing

@testable import meshnode

/// `meshnode run`'s settings: one precedence (flags > MESH_* > config file > defaults), every setting reachable
/// from each source, and errors that name the setting.
@Suite("node settings")
struct SettingsTests {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "mesh-settings-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func file(_ json: String) throws -> String {
        let path = "\(dir)/node-\(UInt32.random(in: 0...UInt32.max)).json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func resolve(
        flags: NodeSettings.FlagValues = [:], env: [String: String] = [:], file: String? = nil
    ) async throws(SettingsError) -> NodeSettings {
        try await NodeSettings.resolve(flags: flags, environment: env, configFile: file)
    }

    func error(
        flags: NodeSettings.FlagValues = [:], env: [String: String] = [:], file: String? = nil
    ) async -> SettingsError? {
        do {
            _ = try await resolve(flags: flags, env: env, file: file)
            return nil
        } catch {
            return error
        }
    }

    @Test("the environment names are the ones the Kubernetes manifests set")
    func environmentNames() {
        let names = NodeSetting.all.map(\.environment)
        for expected in [
            "MESH_NAME", "MESH_LISTEN", "MESH_ADVERTISE", "MESH_SEEDS", "MESH_SERVICES", "MESH_DATA_DIR", "MESH_TRUST",
            "MESH_CERT", "MESH_KEY", "MESH_ADMIN_HTTP", "MESH_HTTP", "MESH_LOG_FORMAT", "MESH_LOG_LEVEL",
            "MESH_DRAIN_TIMEOUT",
        ] {
            #expect(names.contains(expected), "\(expected) is not a setting")
        }
        #expect(NodeSetting.configFile.environment == "MESH_CONFIG")
    }

    @Test("defaults when only the name is given")
    func defaults() async throws {
        let s = try await resolve(env: ["MESH_NAME": "n1"])
        #expect(s.configuration.name == "n1")
        #expect(s.configuration.listen == HostPort(host: "127.0.0.1", port: 7400))
        #expect(s.configuration.seeds.isEmpty)
        #expect(s.configuration.dataDirectory == "./mesh-data")
        #expect(s.services.isEmpty)
        #expect(s.adminHTTP == nil && s.edgeHTTP == nil)
        #expect(s.logFormat == .logfmt && s.logLevel == .info)
        #expect(s.drainTimeout == .seconds(15))
        #expect(s.configuration.transport.shutdownGrace == .seconds(15))
        guard case .development = s.configuration.identity else {
            Issue.record("expected the development identity")
            return
        }
    }

    @Test("flags win over the environment, which wins over the file, which wins over the defaults")
    func precedence() async throws {
        let path = try file(
            #"{"name": "from-file", "listen": "127.0.0.1:1", "dataDir": "/file", "log": {"level": "debug"}, "adminHttp": "127.0.0.1:9"}"#
        )
        let env = ["MESH_LISTEN": "127.0.0.1:2", "MESH_DATA_DIR": "/env"]
        let flags: NodeSettings.FlagValues = [.listen: .string("127.0.0.1:3")]
        let s = try await resolve(flags: flags, env: env, file: path)
        #expect(s.configuration.name == "from-file")  // only the file says it
        #expect(s.configuration.listen.port == 3)  // flag > env > file
        #expect(s.configuration.dataDirectory == "/env")  // env > file
        #expect(s.logLevel == .debug)  // file > default
        #expect(s.adminHTTP == HostPort(host: "127.0.0.1", port: 9))
        #expect(s.logFormat == .logfmt)  // default

        let withoutFlag = try await resolve(env: env, file: path)
        #expect(withoutFlag.configuration.listen.port == 2)
        let fileOnly = try await resolve(file: path)
        #expect(fileOnly.configuration.listen.port == 1)
        // MESH_CONFIG names the file when --config does not.
        let viaEnv = try await resolve(env: ["MESH_CONFIG": path])
        #expect(viaEnv.configuration.name == "from-file")
    }

    @Test("every setting from the environment, lists comma-separated")
    func everySettingFromEnvironment() async throws {
        let s = try await resolve(env: [
            "MESH_NAME": "inventory-1", "MESH_LISTEN": "0.0.0.0:7400", "MESH_ADVERTISE": "inventory-1.mesh:7400",
            "MESH_SEEDS": "inventory-0.mesh:7400, payments-0.mesh:7400", "MESH_SERVICES": "inventory,payments",
            "MESH_ROLES": "inventory", "MESH_DATA_DIR": "/data", "MESH_TRUST": "/keys/cluster.trust",
            "MESH_CERT": "/keys/node.cert", "MESH_KEY": "/keys/node.key", "MESH_ADMIN_HTTP": "0.0.0.0:9090",
            "MESH_HTTP": "0.0.0.0:8080", "MESH_LOG_FORMAT": "json", "MESH_LOG_LEVEL": "warning",
            "MESH_DRAIN_TIMEOUT": "2.5", "MESH_PEERS": "payments=payments-0@10.0.0.1:7400", "MESH_TAGS": "zone=a",
        ])
        #expect(s.configuration.name == "inventory-1")
        #expect(s.configuration.listen == HostPort(host: "0.0.0.0", port: 7400))
        #expect(s.configuration.membership.advertise == HostPort(host: "inventory-1.mesh", port: 7400))
        #expect(s.configuration.seeds == [HostPort("inventory-0.mesh:7400")!, HostPort("payments-0.mesh:7400")!])
        #expect(s.services == ["inventory", "payments"])
        #expect(s.configuration.roles == ["inventory"])
        #expect(s.configuration.dataDirectory == "/data")
        guard case .files(let trust, let cert, let key) = s.configuration.identity else {
            Issue.record("expected identity files")
            return
        }
        #expect([trust, cert, key] == ["/keys/cluster.trust", "/keys/node.cert", "/keys/node.key"])
        #expect(s.adminHTTP == HostPort(host: "0.0.0.0", port: 9090))
        #expect(s.edgeHTTP == HostPort(host: "0.0.0.0", port: 8080))
        #expect(s.logFormat == .json && s.logLevel == .warning)
        #expect(s.drainTimeout == .milliseconds(2500))
        #expect(s.configuration.peers.candidates(for: "payments").map(\.name) == ["payments-0"])
        #expect(s.configuration.membership.tags == ["zone": "a"])
    }

    @Test("lists from the file are JSON arrays; flags replace them whole")
    func listsFromFile() async throws {
        let path = try file(#"{"name": "n", "seeds": ["127.0.0.1:1", "127.0.0.1:2"], "services": ["inventory"]}"#)
        let s = try await resolve(file: path)
        #expect(s.configuration.seeds.map(\.port) == [1, 2])
        #expect(s.services == ["inventory"])
        let overridden = try await resolve(flags: [.seeds: .stringArray(["127.0.0.1:3"])], file: path)
        #expect(overridden.configuration.seeds.map(\.port) == [3])
    }

    @Test("bad values are refused with the setting's three spellings")
    func errorsNameTheSetting() async throws {
        let badListen = await error(env: ["MESH_NAME": "n", "MESH_LISTEN": "nowhere"])
        #expect(badListen?.code == .invalidValue)
        #expect(badListen?.message.contains("--listen / MESH_LISTEN") == true)
        #expect(badListen?.message.contains("'nowhere' is not HOST:PORT") == true)

        let badSeed = await error(env: ["MESH_NAME": "n", "MESH_SEEDS": "127.0.0.1:1,oops"])
        #expect(badSeed?.message.contains("MESH_SEEDS") == true)
        #expect(badSeed?.message.contains("'oops'") == true)

        #expect(await error(env: [:])?.code == .missingSetting)
        #expect(await error(env: ["MESH_NAME": "a/b"])?.code == .invalidValue)

        let format = await error(env: ["MESH_NAME": "n", "MESH_LOG_FORMAT": "xml"])
        #expect(format?.message.contains("'xml' is not logfmt or json") == true)
        let level = await error(env: ["MESH_NAME": "n", "MESH_LOG_LEVEL": "loud"])
        #expect(level?.message.contains("MESH_LOG_LEVEL") == true)
        let drain = await error(env: ["MESH_NAME": "n", "MESH_DRAIN_TIMEOUT": "soon"])
        #expect(drain?.message.contains("MESH_DRAIN_TIMEOUT") == true)
        #expect(await error(env: ["MESH_NAME": "n", "MESH_DRAIN_TIMEOUT": "0"])?.code == .invalidValue)

        let identity = await error(env: ["MESH_NAME": "n", "MESH_CERT": "/c"])
        #expect(identity?.message.contains("give all of trust, cert and key") == true)
        let admin = await error(flags: [.name: .string("n"), .adminHTTP: .string("9090")])
        #expect(admin?.message.contains("--admin-http") == true)
    }

    @Test("config file problems: missing, not JSON, unknown keys, wrong types")
    func fileErrors() async throws {
        #expect(await error(file: "\(dir)/absent.json")?.code == .unreadableFile)
        #expect(await error(file: try file("name = n"))?.code == .malformedFile)
        #expect(await error(file: try file(#"["n"]"#))?.code == .malformedFile)
        let typo = await error(file: try file(#"{"name": "n", "dataDirectory": "/x", "log": {"lvl": "info"}}"#))
        #expect(typo?.code == .unknownSetting)
        #expect(typo?.message.contains("dataDirectory, log.lvl") == true)
        let wrongType = await error(file: try file(#"{"name": "n", "seeds": "127.0.0.1:1"}"#))
        #expect(wrongType?.code == .invalidValue)
        #expect(wrongType?.message.contains("\"seeds\" in the config file") == true)
    }

    @Test("the README's settings table lists every setting with its flag and variable")
    func readmeDocumentsEverySetting() throws {
        let readme = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "../../README.md"), encoding: .utf8)
        #expect(readme.contains("| `\(NodeSetting.configFile.flag)` | `\(NodeSetting.configFile.environment)` |"))
        for setting in NodeSetting.all {
            #expect(
                readme.contains("`\(setting.flag)`") && readme.contains("`\(setting.environment)`")
                    && readme.contains("`\(setting.key)`"),
                "README lacks \(setting.flag) / \(setting.environment) / \(setting.key)")
        }
    }
}
