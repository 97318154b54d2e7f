/// The two 32-byte frame keys of one connection and the cipher they are used with, from this side's point of view:
/// `send` seals what this side writes, `receive` opens what it reads. The client's `send` is the
/// server's `receive` and vice versa.
public struct SessionKeys: Sendable, Hashable {
    public let send: [UInt8]
    public let receive: [UInt8]
    /// The AEAD chosen in the handshake.
    public let cipher: FrameCipher

    public init(send: [UInt8], receive: [UInt8], cipher: FrameCipher = .chacha20Poly1305) {
        self.send = send
        self.receive = receive
        self.cipher = cipher
    }

    /// A sealer for the frames this side sends, at counter 0.
    public func makeSealer() -> FrameSealer { FrameSealer(key: send, cipher: cipher) }

    /// An opener for the frames this side receives, at counter 0.
    public func makeOpener() -> FrameOpener { FrameOpener(key: receive, cipher: cipher) }
}
