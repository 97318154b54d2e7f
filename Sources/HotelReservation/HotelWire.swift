import MeshWire

/// Small decoding helpers shared by the hotel messages.
enum HotelWire {
    /// A record type field: an integer of at most 16 bits.
    static func eventType(_ f: PayloadField) throws(WireError) -> UInt16 {
        let v = try f.uint()
        guard v <= UInt64(UInt16.max) else {
            throw WireError(.invalidValue, "field \(f.number): type \(v) exceeds 16 bits")
        }
        return UInt16(v)
    }

    /// A required string field that was absent or empty.
    static func require(_ value: String, _ what: String, _ field: Int) throws(WireError) {
        if value.isEmpty { throw WireError(.missingField, "\(what) (field \(field)) is required") }
    }
}
