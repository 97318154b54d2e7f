import PostgresNIO

/// A `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]` location.
/// The password may instead come from `PGPASSWORD` or a file; `description` never shows it.
public struct PostgresLocation: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tlsMode: String

    public init(url: String, password: String? = nil) throws(ArchiveError) {
        var rest = Substring(url)
        if rest.hasPrefix("postgres://") {
            rest = rest.dropFirst("postgres://".count)
        } else if rest.hasPrefix("postgresql://") {
            rest = rest.dropFirst("postgresql://".count)
        } else {
            throw ArchiveError(.invalidConfiguration, "a PostgreSQL location starts with postgres://")
        }
        var query = ""
        if let q = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: q)...])
            rest = rest[..<q]
        }
        guard let at = rest.lastIndex(of: "@") else {
            throw ArchiveError(.invalidConfiguration, "a PostgreSQL location names its user: postgres://user@host/db")
        }
        let userInfo = rest[..<at].split(separator: ":", maxSplits: 1)
        let hostAndDB = rest[rest.index(after: at)...].split(separator: "/", maxSplits: 1)
        guard let user = userInfo.first, hostAndDB.count == 2, let hostPort = hostAndDB.first else {
            throw ArchiveError(.invalidConfiguration, "cannot read user, host and database from the PostgreSQL location")
        }
        let hp = hostPort.split(separator: ":")
        guard let host = hp.first, let port = hp.count == 2 ? Int(hp[1]) : 5432 else {
            throw ArchiveError(.invalidConfiguration, "bad host or port in the PostgreSQL location")
        }
        self.host = String(host)
        self.port = port
        self.user = Self.percentDecoded(user)
        self.password = password ?? (userInfo.count == 2 ? Self.percentDecoded(userInfo[1]) : nil)
        self.database = String(hostAndDB[1])
        self.tlsMode = "prefer"
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0] == "sslmode" { self.tlsMode = String(kv[1]) }
        }
        guard ["disable", "prefer", "require"].contains(tlsMode) else {
            throw ArchiveError(.invalidConfiguration, "sslmode must be disable, prefer or require, got \(tlsMode)")
        }
    }

    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch tlsMode {
        case "disable": tls = .disable
        case "require": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls
        )
        configuration.options.maximumConnections = 4
        return configuration
    }

    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
