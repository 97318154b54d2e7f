/// One direction's session key and frame counter, shared by `FrameSealer` and `FrameOpener`.
/// Invariant: `counter` only grows, by one per successfully sealed or opened frame, and the value
/// `SealedFrameLayout.exhaustedCounter` is never used as a nonce.
struct DirectionState: Sendable {
    let key: [UInt8]
    private(set) var counter: UInt64
    /// "sending" or "receiving", for error messages.
    let direction: String

    init(key: [UInt8], counter: UInt64, direction: String) {
        precondition(key.count == SealedFrameLayout.keyLength, "a frame key has 32 bytes")
        Sodium.ensureInitialized()
        self.key = key
        self.counter = counter
        self.direction = direction
    }

    /// The counter for the next frame, or `nonceExhausted`.
    func current() throws(CryptoError) -> UInt64 {
        guard counter != SealedFrameLayout.exhaustedCounter else {
            throw CryptoError(
                .nonceExhausted, "the \(direction) frame counter reached 2^64-1; the connection must be re-established"
            )
        }
        return counter
    }

    /// Marks the current counter as used.
    mutating func advance() { counter += 1 }
}
