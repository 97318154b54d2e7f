/// A dictionary for a few keys that are looked up again and again, such as one breaker per peer: values live
/// in an array and the key used last is tried first, so a run of lookups of one key costs a key comparison
/// (usually of identical strings) instead of hashing the key each time. Other keys cost one hash, as in a
/// `Dictionary`. Iteration follows insertion order.
///
/// Inlinable, so callers in other modules get it specialized for their key and value types (unspecialized
/// generic code would look up type metadata at run time on every call).
public struct RecentKeyTable<Key: Hashable, Value> {
    @usableFromInline var keys: [Key] = []
    @usableFromInline var values: [Value] = []
    @usableFromInline var slots: [Key: Int] = [:]
    /// The slot of the key used last (may be stale after a removal: it is checked before use).
    @usableFromInline var last = 0

    @inlinable public init() {}

    @inlinable public var count: Int { keys.count }
    @inlinable public var isEmpty: Bool { keys.isEmpty }

    /// The keys in insertion order.
    @inlinable public var allKeys: [Key] { keys }

    /// The value for `key`, if any (does not change which key is tried first).
    @inlinable public subscript(key: Key) -> Value? {
        if last < keys.count, keys[last] == key { return values[last] }
        return slots[key].map { values[$0] }
    }

    /// Runs `body` on the value for `key` in place; nil if the key is absent.
    @inlinable public mutating func modify<R>(_ key: Key, _ body: (inout Value) -> R) -> R? {
        guard let i = slot(key) else { return nil }
        return body(&values[i])
    }

    /// Adds `value` under `key`, which must not be present yet.
    @inlinable public mutating func insert(_ key: Key, _ value: Value) {
        precondition(slots[key] == nil, "RecentKeyTable.insert: \(key) is already present")
        slots[key] = keys.count
        last = keys.count
        keys.append(key)
        values.append(value)
    }

    /// Removes every key (and its value) for which `shouldRemove` is true.
    @inlinable public mutating func removeAll(where shouldRemove: (Key) -> Bool) {
        var keptKeys: [Key] = []
        var keptValues: [Value] = []
        for (k, v) in zip(keys, values) where !shouldRemove(k) {
            keptKeys.append(k)
            keptValues.append(v)
        }
        keys = keptKeys
        values = keptValues
        slots = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
        last = 0
    }

    @inlinable mutating func slot(_ key: Key) -> Int? {
        if last < keys.count, keys[last] == key { return last }
        guard let i = slots[key] else { return nil }
        last = i
        return i
    }
}

extension RecentKeyTable: Sendable where Key: Sendable, Value: Sendable {}
