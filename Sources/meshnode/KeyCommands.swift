import ArgumentParser
import Foundation
import MeshCore
import MeshCrypto

/// Writes `text` to `path` with owner-only permissions when `secret`, refusing to overwrite.
func writeKeyFile(_ text: String, to path: String, secret: Bool) throws {
    guard !FileManager.default.fileExists(atPath: path) else {
        throw ValidationError("\(path) already exists; refusing to overwrite it")
    }
    let attributes: [FileAttributeKey: Any] = [.posixPermissions: secret ? 0o600 : 0o644]
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: attributes) else {
        throw ValidationError("cannot write \(path)")
    }
}

func readKeyFile(_ path: String) throws -> String {
    do {
        return try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        throw ValidationError("cannot read \(path): \(error.localizedDescription)")
    }
}

func nowWallTime() -> WallTime { WallTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970)) }

struct CACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca",
        abstract: "Manage the cluster certificate authority.",
        subcommands: [Create.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Create a cluster CA: <out>/ca.key (secret: keep it offline) and <out>/cluster.trust (give to every node)."
        )

        @Option(help: "Cluster name; nodes of clusters with other names or CA keys never talk to each other.")
        var cluster: String

        @Option(help: "Output directory (created if missing).")
        var out: String = "."

        func run() throws {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let ca = ClusterCA(clusterName: cluster, keyPair: .generate())
            try writeKeyFile(ca.pemEncoded(), to: "\(out)/ca.key", secret: true)
            try writeKeyFile(ca.trust.pemEncoded(), to: "\(out)/cluster.trust", secret: false)
            print("created cluster CA '\(cluster)'")
            print("  \(out)/ca.key         secret CA key (0600): keep offline, use only to issue certificates")
            print("  \(out)/cluster.trust  public trust anchor: give to every node (--trust)")
        }
    }
}

struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Issue and inspect node certificates.",
        subcommands: [Issue.self, Show.self]
    )

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Create a node key and a certificate for it signed by the cluster CA: <out>/<name>.key and <out>/<name>.cert."
        )

        @Option(help: "The CA key file from `meshnode ca create`.")
        var ca: String

        @Option(help: "The node's name (what `meshnode run --name` will say).")
        var name: String

        @Option(help: "Comma-separated roles, e.g. inventory,operator.")
        var roles: String = ""

        @Option(help: "Validity in days from now.")
        var days: Int = 365

        @Option(help: "Output directory (created if missing).")
        var out: String = "."

        func validate() throws {
            guard days > 0 && days <= 3650 else { throw ValidationError("--days must be between 1 and 3650") }
            guard !name.isEmpty, !name.contains("/") else {
                throw ValidationError("--name must be non-empty and contain no '/'")
            }
        }

        func run() throws {
            let authority: ClusterCA
            do {
                authority = try ClusterCA(pem: try readKeyFile(ca))
            } catch let error as CryptoError {
                throw ValidationError("\(ca) is not a CA key: \(error)")
            }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let key = SigningKeyPair.generate()
            let now = nowWallTime().secondsSinceEpoch
            let cert = authority.issue(
                name: name,
                publicKey: key.publicKey,
                roles: roles.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) },
                notBefore: WallTime(secondsSinceEpoch: now - 300),
                notAfter: WallTime(secondsSinceEpoch: now + Int64(days) * 86_400)
            )
            try writeKeyFile(key.pemEncoded(), to: "\(out)/\(name).key", secret: true)
            try writeKeyFile(cert.pemEncoded(), to: "\(out)/\(name).cert", secret: false)
            print("issued certificate for '\(name)'")
            print("  \(out)/\(name).key   node private key (0600)")
            print("  \(out)/\(name).cert  certificate")
            print(cert.summary)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a certificate, and check it against a cluster trust file.")

        @Argument(help: "Certificate file.")
        var file: String

        @Option(help: "Cluster trust file to verify the certificate against.")
        var trust: String?

        func run() throws {
            let cert: NodeCertificate
            do {
                cert = try NodeCertificate(pem: try readKeyFile(file))
            } catch let error as CryptoError {
                throw ValidationError("\(file) is not a certificate: \(error)")
            }
            print(cert.summary)
            if let trust {
                let anchor = try ClusterTrust(pem: try readKeyFile(trust))
                do {
                    try anchor.verify(cert, now: nowWallTime())
                    print("verified: signed by the CA of cluster '\(anchor.clusterName)' and valid now")
                } catch {
                    print("NOT VALID for cluster '\(anchor.clusterName)': \(error)")
                    throw ExitCode(1)
                }
            }
        }
    }
}
