import AsyncHTTPClient
import Logging
import MeshLog
import NIOCore
import NIOHTTP1

/// The handful of S3 calls the archive needs, signed with SigV4 (payload hashes signed, never `UNSIGNED-PAYLOAD`),
/// over a shared `HTTPClient`. Every failure is an `ArchiveError`: transport errors, 5xx and 429/503 answers are
/// `unavailable` (retry), other 4xx are `rejected`.
public struct S3Client: Sendable {
    public let endpoint: S3Endpoint
    let signer: SigV4Signer
    let http: HTTPClient
    let wallClock: @Sendable () -> Int64
    public var timeout: TimeAmount = .seconds(60)

    public init(
        endpoint: S3Endpoint,
        credentials: S3Credentials,
        http: HTTPClient = .shared,
        wallClock: @escaping @Sendable () -> Int64 = LogConfiguration.systemWallClock
    ) {
        self.endpoint = endpoint
        self.signer = SigV4Signer(credentials: credentials, region: endpoint.region)
        self.http = http
        self.wallClock = wallClock
    }

    /// What a HEAD answered.
    public struct ObjectInfo: Sendable, Hashable {
        public var size: Int
        public var etag: String?
        /// `x-amz-meta-*` headers, names without the prefix, lower-cased.
        public var metadata: [String: String]
        /// The `x-amz-checksum-crc32c` the store keeps for the object, if it answers with one.
        public var checksumCRC32C: String?
    }

    struct Response {
        var status: UInt
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// PUT an object; the store checks the body against `x-amz-content-sha256` and `x-amz-checksum-crc32c`.
    public func putObject(key: String, body: [UInt8], metadata: [String: String] = [:]) async throws(ArchiveError) {
        var headers = metadata.map { ("x-amz-meta-" + $0.key, $0.value) }
        headers.append(("x-amz-checksum-crc32c", Self.crc32cHeader(body)))
        _ = try await send("PUT", key: key, headers: headers, body: body, expect: [200])
    }

    /// HEAD an object: nil when there is none.
    public func headObject(key: String) async throws(ArchiveError) -> ObjectInfo? {
        let response = try await send(
            "HEAD", key: key, headers: [("x-amz-checksum-mode", "ENABLED")], expect: [200, 404]
        )
        guard response.status == 200 else { return nil }
        var metadata: [String: String] = [:]
        for (name, value) in response.headers where name.lowercased().hasPrefix("x-amz-meta-") {
            metadata[String(name.lowercased().dropFirst("x-amz-meta-".count))] = value
        }
        return ObjectInfo(
            size: response.headers.first(name: "content-length").flatMap { Int($0) } ?? -1,
            etag: response.headers.first(name: "etag"), metadata: metadata,
            checksumCRC32C: response.headers.first(name: "x-amz-checksum-crc32c")
        )
    }

    public func getObject(key: String, maxBytes: Int = 1 << 30) async throws(ArchiveError) -> [UInt8] {
        let response = try await send("GET", key: key, expect: [200, 404], maxBody: maxBytes)
        guard response.status == 200 else {
            throw ArchiveError(.notFound, "no object \(key) in \(endpoint)")
        }
        return response.body
    }

    public func deleteObject(key: String) async throws(ArchiveError) {
        _ = try await send("DELETE", key: key, expect: [200, 204])
    }

    /// Every key under `prefix` (ListObjectsV2, following continuation tokens), in the store's (lexical) order.
    public func listKeys(prefix: String) async throws(ArchiveError) -> [String] {
        var keys: [String] = []
        var token: String?
        repeat {
            var query: [(name: String, value: String)] = [("list-type", "2"), ("prefix", prefix)]
            if let token { query.append(("continuation-token", token)) }
            let response = try await send("GET", key: nil, query: query, expect: [200], maxBody: 64 << 20)
            let xml = String(decoding: response.body, as: UTF8.self)
            keys += XMLText.values(of: "Key", in: xml)
            token = XMLText.value(of: "IsTruncated", in: xml) == "true" ? XMLText.value(of: "NextContinuationToken", in: xml) : nil
        } while token != nil
        return keys
    }

    // MARK: Multipart upload

    public func createMultipartUpload(key: String, metadata: [String: String]) async throws(ArchiveError) -> String {
        let headers = metadata.map { ("x-amz-meta-" + $0.key, $0.value) }
        let response = try await send("POST", key: key, query: [("uploads", "")], headers: headers, expect: [200])
        guard let id = XMLText.value(of: "UploadId", in: String(decoding: response.body, as: UTF8.self)) else {
            throw ArchiveError(.unavailable, "CreateMultipartUpload for \(key) answered without an UploadId")
        }
        return id
    }

    /// Uploads one part; returns its ETag.
    public func uploadPart(key: String, uploadID: String, partNumber: Int, body: [UInt8]) async throws(ArchiveError)
        -> String
    {
        let response = try await send(
            "PUT", key: key, query: [("partNumber", "\(partNumber)"), ("uploadId", uploadID)], body: body,
            expect: [200]
        )
        guard let etag = response.headers.first(name: "etag") else {
            throw ArchiveError(.unavailable, "UploadPart \(partNumber) of \(key) answered without an ETag")
        }
        return etag
    }

    public func completeMultipartUpload(key: String, uploadID: String, etags: [String]) async throws(ArchiveError) {
        var xml = "<CompleteMultipartUpload>"
        for (i, etag) in etags.enumerated() {
            xml += "<Part><PartNumber>\(i + 1)</PartNumber><ETag>\(XMLText.escape(etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let response = try await send(
            "POST", key: key, query: [("uploadId", uploadID)], body: Array(xml.utf8), expect: [200]
        )
        // S3 may answer 200 with an <Error> body when completion fails late.
        let text = String(decoding: response.body, as: UTF8.self)
        if text.contains("<Error>") {
            throw Self.error(status: 500, body: response.body, "CompleteMultipartUpload of \(key)")
        }
    }

    public func abortMultipartUpload(key: String, uploadID: String) async throws(ArchiveError) {
        _ = try await send("DELETE", key: key, query: [("uploadId", uploadID)], expect: [200, 204])
    }

    // MARK: Requests

    /// Sends one signed request. `key` nil addresses the bucket itself.
    func send(
        _ method: String,
        key: String?,
        query: [(name: String, value: String)] = [],
        headers extra: [(String, String)] = [],
        body: [UInt8] = [],
        expect: Set<UInt>,
        maxBody: Int = 1 << 20
    ) async throws(ArchiveError) -> Response {
        let path = "/" + endpoint.bucket + (key.map { "/" + $0 } ?? "")
        let amzDate = SigV4Signer.amzDate(unixNanoseconds: wallClock())
        var headers: [(name: String, value: String)] = [
            ("host", endpoint.hostHeader), ("x-amz-date", amzDate),
            ("x-amz-content-sha256", SHA256.hex(SHA256.hash(body))),
        ]
        if let token = signer.credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        headers += extra.map { (name: $0.0, value: $0.1) }
        let signed = SigV4Signer.Request(
            method: method, path: path, query: query, headers: headers, payloadHash: headers[2].value
        )
        let authorization = signer.authorization(signed, amzDate: amzDate)
        let queryString = SigV4Signer.canonicalQuery(query)
        let url =
            "\(endpoint.scheme)://\(endpoint.hostHeader)\(SigV4Signer.canonicalURI(path))"
            + (queryString.isEmpty ? "" : "?" + queryString)
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "authorization", value: authorization)
        if !body.isEmpty || method == "PUT" || method == "POST" {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let what = "\(method) \(path)"
        let response: HTTPClientResponse
        let bytes: [UInt8]
        do {
            response = try await http.execute(request, timeout: timeout)
            var buffer = try await response.body.collect(upTo: maxBody)
            bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            throw ArchiveError(.unavailable, "\(what) to \(endpoint.hostHeader) failed: \(error)", cause: error)
        }
        let status = response.status.code
        guard expect.contains(status) else { throw Self.error(status: status, body: bytes, what) }
        return Response(status: status, headers: response.headers, body: bytes)
    }

    static func error(status: UInt, body: [UInt8], _ what: String) -> ArchiveError {
        let xml = String(decoding: body.prefix(4096), as: UTF8.self)
        let code = XMLText.value(of: "Code", in: xml) ?? "HTTP \(status)"
        let message = XMLText.value(of: "Message", in: xml) ?? ""
        let retryable = status >= 500 || status == 429 || status == 408 || code == "SlowDown"
        return ArchiveError(
            retryable ? .unavailable : .rejected, "\(what) answered \(status) \(code)\(message.isEmpty ? "" : ": " + message)"
        )
    }

    /// `x-amz-checksum-crc32c`: base64 of the big-endian CRC-32C.
    static func crc32cHeader(_ bytes: [UInt8]) -> String {
        let crc = CRC32C.checksum(bytes)
        return Base64.encode([UInt8(crc >> 24), UInt8(crc >> 16 & 0xff), UInt8(crc >> 8 & 0xff), UInt8(crc & 0xff)])
    }
}
