import MeshCore

/// Time cut into equal slices, numbered from the clock's origin; the shared arithmetic of the bucketed
/// windows (the breaker's time window and the retry budget).
struct TimeSlice {
    /// The slice width in nanoseconds (at least 1).
    let width: Int64

    init(width: Int64) { self.width = Swift.max(width, 1) }

    /// The number of the slice holding `instant` (floor division, so instants before the origin work too).
    func number(of instant: MeshInstant) -> Int64 {
        let n = instant.nanoseconds
        return n >= 0 ? n / width : -((-n + width - 1) / width)
    }

    /// The index of slice `number` in a ring of `count` buckets.
    static func slot(_ number: Int64, in count: Int) -> Int {
        let m = Int(number % Int64(count))
        return m < 0 ? m + count : m
    }
}
