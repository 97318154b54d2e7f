/// Little-endian integer packing used by every on-disk structure of the log.
extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension Collection where Element == UInt8, Index == Int {
    /// Reads a little-endian integer at absolute index `at`. The caller guarantees the bytes exist.
    func littleEndian<T: FixedWidthInteger>(at index: Int, as: T.Type = T.self) -> T {
        var value: T = 0
        for k in 0..<(T.bitWidth / 8) {
            value |= T(truncatingIfNeeded: self[index + k]) << (8 * k)
        }
        return value
    }
}
