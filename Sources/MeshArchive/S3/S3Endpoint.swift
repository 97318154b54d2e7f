/// Where an S3-compatible bucket is: an HTTP(S) endpoint, a bucket, a key prefix and a signing region.
///
/// Requests use path-style addresses (`endpoint/bucket/key`), which AWS S3, SeaweedFS, MinIO and the S3 gateways
/// of other clouds all accept.
public struct S3Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    public var scheme: String
    public var host: String
    public var port: Int
    public var bucket: String
    /// Keys are stored under this prefix (no leading or trailing "/"; may be empty).
    public var prefix: String
    public var region: String

    public init(scheme: String, host: String, port: Int, bucket: String, prefix: String = "", region: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.bucket = bucket
        self.prefix = prefix.split(separator: "/").joined(separator: "/")
        self.region = region
    }

    /// `s3://bucket/prefix` with the endpoint URL given apart (`http://127.0.0.1:8333`, or
    /// `https://s3.eu-west-1.amazonaws.com`).
    public init(location: String, endpoint: String, region: String) throws(ArchiveError) {
        guard location.hasPrefix("s3://") else {
            throw ArchiveError(.invalidConfiguration, "an S3 archive location looks like s3://bucket/prefix, got \(location)")
        }
        let path = location.dropFirst("s3://".count).split(separator: "/", omittingEmptySubsequences: true)
        guard let bucket = path.first else {
            throw ArchiveError(.invalidConfiguration, "the S3 location \(location) names no bucket")
        }
        let (scheme, host, port) = try Self.parse(endpoint: endpoint)
        self.init(
            scheme: scheme, host: host, port: port, bucket: String(bucket), prefix: path.dropFirst().joined(separator: "/"),
            region: region
        )
    }

    /// `http://host:port` (a path after it is ignored).
    static func parse(endpoint: String) throws(ArchiveError) -> (scheme: String, host: String, port: Int) {
        let scheme: String
        if endpoint.hasPrefix("http://") {
            scheme = "http"
        } else if endpoint.hasPrefix("https://") {
            scheme = "https"
        } else {
            throw ArchiveError(.invalidConfiguration, "an S3 endpoint starts with http:// or https://, got \(endpoint)")
        }
        let authority = endpoint.dropFirst(scheme.count + 3).prefix { $0 != "/" }
        let parts = authority.split(separator: ":")
        guard let host = parts.first, !host.isEmpty, parts.count <= 2 else {
            throw ArchiveError(.invalidConfiguration, "cannot read a host from the S3 endpoint \(endpoint)")
        }
        let port = parts.count == 2 ? Int(parts[1]) : (scheme == "https" ? 443 : 80)
        guard let port, (1...65535).contains(port) else {
            throw ArchiveError(.invalidConfiguration, "bad port in the S3 endpoint \(endpoint)")
        }
        return (scheme, String(host), port)
    }

    /// The `Host` header: the port only when it is not the scheme's default.
    var hostHeader: String {
        (scheme == "http" && port == 80) || (scheme == "https" && port == 443) ? host : "\(host):\(port)"
    }

    /// A key under `prefix`.
    public func key(_ relative: String) -> String { prefix.isEmpty ? relative : prefix + "/" + relative }

    public var description: String { "s3://\(bucket)/\(prefix) at \(scheme)://\(hostHeader)" }
}
