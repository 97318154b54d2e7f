import Foundation
import MeshCore
import MeshCrypto
import MeshNode
import Testing

/// Identity files that cannot be used stop the node with a `NodeError` whose code says which problem it is.
@Suite final class IdentityLoaderTests {
    let ca = ClusterCA(clusterName: "test", keyPair: .generate())
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID())").path

    init() throws { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Writes trust, certificate and key files for a certificate named `certName`, valid `from`…`until`.
    func files(certName: String, from: Int64 = -3600, until: Int64 = 3600) throws -> IdentitySource {
        let key = SigningKeyPair.generate()
        let now = Int64(Date().timeIntervalSince1970)
        let cert = ca.issue(
            name: certName, publicKey: key.publicKey, roles: ["inventory"],
            notBefore: WallTime(secondsSinceEpoch: now + from), notAfter: WallTime(secondsSinceEpoch: now + until))
        try ca.trust.pemEncoded().write(toFile: "\(directory)/cluster.trust", atomically: true, encoding: .utf8)
        try cert.pemEncoded().write(toFile: "\(directory)/node.cert", atomically: true, encoding: .utf8)
        try key.pemEncoded().write(toFile: "\(directory)/node.key", atomically: true, encoding: .utf8)
        return .files(
            trust: "\(directory)/cluster.trust", certificate: "\(directory)/node.cert", key: "\(directory)/node.key")
    }

    func loadError(_ source: IdentitySource, name: String) -> NodeError? {
        do {
            _ = try IdentityLoader.load(source, name: name, roles: [])
            return nil
        } catch {
            return error
        }
    }

    @Test func aValidIdentityLoadsWithItsNameAndRoles() throws {
        let identity = try IdentityLoader.load(try files(certName: "inventory-0"), name: "inventory-0", roles: [])
        #expect(identity.name == "inventory-0")
        #expect(identity.roles == ["inventory"])
    }

    @Test func aCertificateForAnotherNodeIsAMismatch() throws {
        let error = loadError(try files(certName: "inventory-1"), name: "inventory-0")
        #expect(error?.code == .identityMismatch)
        #expect(error?.message.contains("is for 'inventory-1', but this node is named 'inventory-0'") == true)
    }

    @Test func anExpiredCertificateIsInvalidWithTheCryptoCause() throws {
        let error = loadError(try files(certName: "inventory-0", from: -7200, until: -3600), name: "inventory-0")
        #expect(error?.code == .identityInvalid)
        #expect(error?.cause is CryptoError)
    }

    @Test func aMissingFileIsUnreadableAndNamesThePath() throws {
        let source = IdentitySource.files(
            trust: "\(directory)/absent.trust", certificate: "\(directory)/c", key: "\(directory)/k")
        let error = loadError(source, name: "inventory-0")
        #expect(error?.code == .identityUnreadable)
        #expect(error?.message.contains("absent.trust") == true)
    }

    @Test func aFileThatIsNotPEMIsInvalidAndNamesThePath() throws {
        _ = try files(certName: "inventory-0")
        try "not a certificate".write(toFile: "\(directory)/node.cert", atomically: true, encoding: .utf8)
        let error = loadError(
            .files(
                trust: "\(directory)/cluster.trust", certificate: "\(directory)/node.cert", key: "\(directory)/node.key"
            ),
            name: "inventory-0")
        #expect(error?.code == .identityInvalid)
        #expect(error?.message.contains("node.cert is not a valid certificate") == true)
        #expect(error?.cause is CryptoError)
        #expect(error?.description.hasPrefix("identityInvalid: ") == true)
    }
}
