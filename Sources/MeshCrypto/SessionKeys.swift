/// The two 32-byte ChaCha20-Poly1305 keys of one connection, from this side's point of view:
/// `send` seals what this side writes, `receive` opens what it reads. The client's `send` is the
/// server's `receive` and vice versa.
public struct SessionKeys: Sendable, Hashable {
    public let send: [UInt8]
    public let receive: [UInt8]

    public init(send: [UInt8], receive: [UInt8]) {
        self.send = send
        self.receive = receive
    }

    /// A sealer for the frames this side sends, at counter 0.
    public func makeSealer() -> FrameSealer { FrameSealer(key: send) }

    /// An opener for the frames this side receives, at counter 0.
    public func makeOpener() -> FrameOpener { FrameOpener(key: receive) }
}
