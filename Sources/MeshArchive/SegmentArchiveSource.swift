/// An archive a log can be restored from: the epochs it holds for one log identity and, per epoch, the segments.
public protocol SegmentArchiveSource: Sendable {
    var description: String { get }
    /// The epochs archived, ascending (the creation order of epochs is unknown: they are random ids).
    func epochs() async throws -> [UInt64]
    /// Segment names (`%020llu.seg`) of one epoch, ascending.
    func segmentNames(epoch: UInt64) async throws -> [String]
    /// The bytes of one archived segment.
    func fetch(epoch: UInt64, segment: String) async throws -> [UInt8]
}
