/// A binary min-heap: `push` and `popMin` in O(log n), `min` in O(1). Equal elements pop in no
/// particular order, so callers that need determinism make their elements totally ordered (for
/// example by a deadline, then an insertion counter).
public struct MinHeap<Element: Comparable> {
    @usableFromInline var items: [Element] = []

    public init() {}

    public var isEmpty: Bool { items.isEmpty }
    public var count: Int { items.count }
    /// The smallest element, not removed.
    public var min: Element? { items.first }

    @inlinable
    public mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the smallest element.
    @inlinable
    public mutating func popMin() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count, items[left] < items[smallest] { smallest = left }
            if right < items.count, items[right] < items[smallest] { smallest = right }
            guard smallest != parent else { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}

extension MinHeap: Sendable where Element: Sendable {}
