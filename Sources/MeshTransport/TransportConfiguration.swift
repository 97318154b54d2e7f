import MeshCore
import MeshCrypto
import MeshWire

/// Limits and timers of a node's transport. The defaults suit a LAN cluster.
public struct TransportConfiguration: Sendable {
    /// Largest frame body accepted (and announced to peers in `settings`); at least
    /// `SettingsBody.minimumMaxBodyLength` (16 KiB), as peers refuse a smaller announcement (rpc.md).
    public var maxBodyLength: Int = FrameDecoder.defaultMaxBodyLength
    /// Inbound calls served at once per connection; announced in `settings`. Peers queue beyond it.
    public var maxConcurrentStreams: Int = 1024
    /// Calls a caller may queue per connection (waiting for the handshake, for a stream slot or for
    /// the socket to drain) before new calls fail fast with `resourceExhausted`.
    public var maxQueuedCalls: Int = 4096
    /// A connection that has not completed its handshake after this long is closed.
    public var handshakeTimeout: MeshDuration = .seconds(5)
    /// Time to establish the TCP connection.
    public var connectTimeout: MeshDuration = .seconds(3)
    /// After this long without receiving a frame, send a ping.
    public var keepaliveInterval: MeshDuration = .seconds(30)
    /// Close the connection when a ping is not answered within this long.
    public var keepaliveTimeout: MeshDuration = .seconds(10)
    /// How long a graceful shutdown waits for in-flight calls before closing anyway.
    public var shutdownGrace: MeshDuration = .seconds(30)
    /// Reconnect backoff after a failed dial: full jitter over an exponentially growing cap.
    public var reconnectInitialBackoff: MeshDuration = .milliseconds(100)
    public var reconnectMaxBackoff: MeshDuration = .seconds(10)

    /// Frame ciphers offered (as client) and accepted (as server), most preferred first; must include
    /// ChaCha20-Poly1305 to talk to every peer. Default: AES-256-GCM first where the CPU has AES-NI.
    public var ciphers: [FrameCipher] = FrameCipher.supported

    /// Tests only: the first stream id this side opens (1 for a client, 2 for a server when nil), so a test can
    /// reach the end of the id space without 2³¹ calls. Must have this side's parity.
    var firstOwnStreamID: UInt32?

    public init() {}
}
