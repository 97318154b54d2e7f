import MeshLog

/// Archives sealed segments as objects `prefix/cluster/service/node/epoch/segment` of an S3 bucket, and reads them
/// back for a restore.
///
/// Storing: HEAD first (an intact object already there is `.alreadyStored`, a different one is
/// `verificationFailed`), then one PUT (segments up to `multipartThreshold`) or a multipart upload (parts of
/// `partSize`, aborted on failure). Every request body is signed by its SHA-256 (`x-amz-content-sha256`, checked
/// by the store) and a PUT also carries `x-amz-checksum-crc32c`. The object keeps the segment's CRC-32C, size, base
/// sequence and record count as metadata. After the upload a HEAD must show the segment's size and CRC-32C (and,
/// with `readBack`, a GET must return bytes with that CRC-32C) before `store` returns.
public struct S3SegmentArchive: SegmentArchiveDestination, SegmentArchiveSource {
    public let client: S3Client
    public let identity: LogIdentity
    public var multipartThreshold: Int
    public var partSize: Int
    /// Verify by reading the whole object back, in addition to the HEAD check.
    public var readBack: Bool

    public init(
        client: S3Client,
        identity: LogIdentity,
        multipartThreshold: Int = 16 << 20,
        partSize: Int = 8 << 20,
        readBack: Bool = false
    ) {
        self.client = client
        self.identity = identity
        self.multipartThreshold = multipartThreshold
        self.partSize = max(partSize, 5 << 20)
        self.readBack = readBack
    }

    public var description: String { "\(client.endpoint) for \(identity)" }

    public func key(epoch: UInt64, segment: String) -> String {
        client.endpoint.key(identity.objectPath(epoch: epoch, segment: segment))
    }

    public func store(_ segment: SealedSegment) async throws -> ArchiveStoreOutcome {
        let key = key(epoch: segment.epoch, segment: segment.name)
        if let existing = try await client.headObject(key: key) {
            try verify(existing, segment, key: key, what: "an object already stored")
            return .alreadyStored
        }
        let metadata = [
            "mesh-crc32c": String(segment.checksum), "mesh-base-sequence": String(segment.baseSequence),
            "mesh-records": String(segment.recordCount), "mesh-bytes": String(segment.bytes.count),
        ]
        if segment.bytes.count <= multipartThreshold {
            try await client.putObject(key: key, body: segment.bytes, metadata: metadata)
        } else {
            try await uploadMultipart(segment.bytes, key: key, metadata: metadata)
        }
        guard let stored = try await client.headObject(key: key) else {
            throw ArchiveError(.verificationFailed, "\(key) is missing right after its upload; local segment kept")
        }
        try verify(stored, segment, key: key, what: "the uploaded object")
        if readBack {
            let copy = try await client.getObject(key: key, maxBytes: segment.bytes.count + 1)
            guard copy.count == segment.bytes.count, CRC32C.checksum(copy) == segment.checksum else {
                throw ArchiveError(
                    .verificationFailed,
                    "\(key) read back as \(copy.count) bytes with CRC-32C \(CRC32C.checksum(copy)), expected "
                        + "\(segment.bytes.count) bytes with \(segment.checksum); local segment kept"
                )
            }
        }
        return .stored
    }

    private func uploadMultipart(_ bytes: [UInt8], key: String, metadata: [String: String]) async throws(ArchiveError) {
        let uploadID = try await client.createMultipartUpload(key: key, metadata: metadata)
        do throws(ArchiveError) {
            var etags: [String] = []
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + partSize)
                etags.append(
                    try await client.uploadPart(
                        key: key, uploadID: uploadID, partNumber: etags.count + 1, body: Array(bytes[offset..<end])
                    )
                )
                offset = end
            }
            try await client.completeMultipartUpload(key: key, uploadID: uploadID, etags: etags)
        } catch {
            // Best effort: an upload that is never completed stores no object; the store's lifecycle rules reap it.
            try? await client.abortMultipartUpload(key: key, uploadID: uploadID)
            throw error
        }
    }

    private func verify(_ info: S3Client.ObjectInfo, _ segment: SealedSegment, key: String, what: String) throws(ArchiveError) {
        let storedCRC = info.metadata["mesh-crc32c"].flatMap { UInt32($0) }
        let serverCRC = info.checksumCRC32C
        guard info.size == segment.bytes.count, storedCRC == segment.checksum,
            serverCRC == nil || serverCRC == S3Client.crc32cHeader(segment.bytes) || info.size > multipartThreshold
        else {
            throw ArchiveError(
                .verificationFailed,
                "\(what) \(key) has \(info.size) bytes and CRC-32C \(storedCRC.map(String.init) ?? "none"), the local "
                    + "segment \(segment.bytes.count) bytes and \(segment.checksum); local segment kept"
            )
        }
    }

    // MARK: SegmentArchiveSource

    public func epochs() async throws -> [UInt64] {
        let prefix = client.endpoint.key(identity.path) + "/"
        var epochs = Set<UInt64>()
        for key in try await client.listKeys(prefix: prefix) {
            let parts = key.dropFirst(prefix.count).split(separator: "/")
            if parts.count == 2, let epoch = LogIdentity.epoch(named: parts[0]) { epochs.insert(epoch) }
        }
        return epochs.sorted()
    }

    public func segmentNames(epoch: UInt64) async throws -> [String] {
        let prefix = client.endpoint.key(identity.path + "/" + LogIdentity.epochName(epoch)) + "/"
        return try await client.listKeys(prefix: prefix).map { String($0.dropFirst(prefix.count)) }
            .filter { SealedSegment.baseSequence(ofName: $0) != nil }.sorted()
    }

    public func fetch(epoch: UInt64, segment name: String) async throws -> [UInt8] {
        try await client.getObject(key: key(epoch: epoch, segment: name))
    }
}
