/// Field names and types of every body proto-spec defines (rpc.md, handshake.md, identity.md), for `decode`.
enum FrameSchemas {
    static let entry = PayloadSchema(name: "entry", fields: [1: ("key", .string), 2: ("value", .string)])

    static let requestHead = PayloadSchema(
        name: "RequestHead",
        fields: [
            1: ("method", .string), 2: ("timeoutMicros", .uint), 3: ("metadata", .message(entry)),
            4: ("payload", .opaque), 5: ("trace", .bytes),
        ])
    static let responseHead = PayloadSchema(
        name: "ResponseHead",
        fields: [
            1: ("code", .uint), 2: ("message", .string), 3: ("metadata", .message(entry)), 4: ("payload", .opaque),
        ]
    )
    static let cancelBody = PayloadSchema(name: "CancelBody", fields: [1: ("reason", .string)])
    static let pingBody = PayloadSchema(name: "PingBody", fields: [1: ("opaque", .fixed64)])
    static let goAwayBody = PayloadSchema(
        name: "GoAwayBody", fields: [1: ("lastStreamID", .uint), 2: ("code", .uint), 3: ("message", .string)])
    static let settingsBody = PayloadSchema(
        name: "SettingsBody", fields: [1: ("maxConcurrentStreams", .uint), 2: ("maxBodyLength", .uint)])

    static let certificateBody = PayloadSchema(
        name: "CertificateBody",
        fields: [
            1: ("name", .string), 2: ("publicKey", .bytes), 3: ("role", .string), 4: ("notBefore", .sint),
            5: ("notAfter", .sint), 6: ("clusterName", .string), 7: ("caPublicKey", .bytes),
        ])
    static let nodeCertificate = PayloadSchema(
        name: "NodeCertificate", fields: [1: ("tbs", .message(certificateBody)), 2: ("signature", .bytes)])
    static let hello = PayloadSchema(
        name: "Hello",
        fields: [
            1: ("protocolVersion", .uint), 2: ("clusterID", .bytes), 3: ("ephemeralPublicKey", .bytes),
            4: ("nonce", .bytes), 5: ("cipher", .uint),
        ])
    static let welcome = PayloadSchema(
        name: "Welcome",
        fields: [
            1: ("ephemeralPublicKey", .bytes), 2: ("nonce", .bytes), 3: ("certificate", .message(nodeCertificate)),
            5: ("cipher", .uint), 4: ("signature", .bytes),
        ])
    static let auth = PayloadSchema(
        name: "Auth", fields: [1: ("certificate", .message(nodeCertificate)), 2: ("signature", .bytes)])

    /// The schema of a body named on the command line (`decode --body NAME`), case-insensitively.
    static let byName: [String: PayloadSchema] = Dictionary(
        uniqueKeysWithValues: [
            requestHead, responseHead, cancelBody, pingBody, goAwayBody, settingsBody, hello, welcome, auth,
            nodeCertificate, certificateBody,
        ].map { ($0.name.lowercased(), $0) })
}
