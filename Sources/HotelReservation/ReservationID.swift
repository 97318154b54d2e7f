/// Reservation ids are derived from the client's idempotency key, so a retried create lands on the same partition
/// owner and finds the reservation it made: `"r-"` + 16 lower-case hex digits of FNV-1a-64 over the key's UTF-8
/// (offset basis 0xcbf29ce484222325, prime 0x100000001b3). A collision is detected (the stored key differs) and
/// refused as `idempotencyConflict`, never merged.
public enum ReservationID {
    public static func derive(idempotencyKey: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in idempotencyKey.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "r-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
