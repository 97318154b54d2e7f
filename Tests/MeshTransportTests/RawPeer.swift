import Foundation
import Glibc
import MeshCore
import MeshCrypto
import MeshWire
import NIOCore

/// A deliberately misbehaving peer: a blocking TCP socket that writes exactly the bytes a test
/// gives it, so bad input reaches a real server (or a real client, see `RawListener`) over a real connection.
final class RawPeer {
    let fd: Int32
    private var received = ByteBuffer()
    private var sealer: FrameSealer?
    private var opener: FrameOpener?

    /// Takes over a connected socket (it closes it on deinit); reads time out after 5 s.
    init(connected fd: Int32) {
        self.fd = fd
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    convenience init(connectingTo address: HostPortLike) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawPeerError("socket() failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(address.port).bigEndian)
        inet_pton(AF_INET, address.host, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            throw RawPeerError("connect() failed: errno \(errno)")
        }
        self.init(connected: fd)
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }  // the server may already have closed: that is what some tests expect
            offset += n
        }
    }

    func send(_ buffer: ByteBuffer) { send(Array(buffer.readableBytesView)) }

    /// Half-closes the write side (the server sees EOF).
    func finishWriting() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads until the server closes the connection (or 5 s pass); returns what arrived.
    /// Blocks a thread, so callers in async tests use `awaitClose()`, which runs it off the cooperative pool.
    func readUntilClosed() -> (bytes: [UInt8], closed: Bool) {
        var all: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                all += chunk[0..<n]
                continue
            }
            return (all, n == 0 || errno == ECONNRESET)
        }
    }

    func awaitClose() async -> (bytes: [UInt8], closed: Bool) {
        let peer = UncheckedBox(self)
        return await onOwnThread { peer.value.readUntilClosed() }
    }

    /// Reads one frame.
    func readFrame() throws -> Frame {
        let decoder = FrameDecoder()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let f = try decoder.decode(buffer: &received) { return f }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw RawPeerError("connection closed while waiting for a frame") }
            received.writeBytes(chunk[0..<n])
        }
    }

    static func plainFrame(_ type: FrameType, body: [UInt8], stream: UInt32 = 0) -> [UInt8] {
        var b = ByteBuffer()
        Frame(header: FrameHeader(type: type, streamID: stream), body: ByteBuffer(bytes: body)).write(into: &b)
        return Array(b.readableBytesView)
    }

    /// Runs a correct client handshake offering `ciphers` and announcing `settings`; afterwards `seal` produces valid
    /// frames and `openNext` reads them.
    @discardableResult
    func handshake(
        as identity: NodeIdentity, now: WallTime, ciphers: [FrameCipher] = FrameCipher.supported,
        settings: SettingsBody = SettingsBody(maxConcurrentStreams: 16, maxBodyLength: 1 << 20)
    ) throws -> SessionKeys {
        let (auth, keys) = try sendHelloAndReadWelcome(as: identity, now: now, ciphers: ciphers)
        send(Self.plainFrame(.auth, body: auth))
        try exchangeSettings(keys, settings)
        return keys
    }

    /// Sends hello and auth as `identity`, which the server refuses: returns the plaintext goAway it answers with.
    func handshakeRefused(as identity: NodeIdentity, now: WallTime) throws -> (FrameHeader, GoAwayBody) {
        let (auth, _) = try sendHelloAndReadWelcome(as: identity, now: now, ciphers: FrameCipher.supported)
        send(Self.plainFrame(.auth, body: auth))
        return try readPlainGoAway()
    }

    private func sendHelloAndReadWelcome(
        as identity: NodeIdentity, now: WallTime, ciphers: [FrameCipher]
    ) throws -> (auth: [UInt8], keys: SessionKeys) {
        var hs = ClientHandshake(identity: identity, now: now, ciphers: ciphers)
        send(Self.plainFrame(.hello, body: hs.hello()))
        let welcome = try readFrame()
        guard welcome.header.type == .welcome else { throw RawPeerError("expected welcome, got \(welcome.header)") }
        let (auth, keys, _) = try hs.receiveWelcome(Array(welcome.body.readableBytesView)[...])
        return (auth, keys)
    }

    /// Reads one frame, which must be a plaintext goAway, and decodes its body.
    func readPlainGoAway() throws -> (FrameHeader, GoAwayBody) {
        let frame = try readFrame()
        guard frame.header.type == .goAway else { throw RawPeerError("expected a goAway, got \(frame.header)") }
        return (frame.header, try GoAwayBody(decoding: Array(frame.body.readableBytesView)))
    }

    /// Opens the next sealed frame, which must be a goAway, and decodes its body.
    func openGoAway() throws -> (FrameHeader, GoAwayBody) {
        let (header, body) = try openNext()
        guard header.type == .goAway else { throw RawPeerError("expected a goAway, got \(header)") }
        return (header, try GoAwayBody(decoding: body[...]))
    }

    /// Answers a client's handshake as the server `identity`; afterwards `seal` and `openNext` work.
    func acceptHandshake(as identity: NodeIdentity, now: WallTime) throws -> PeerInfo {
        var hs = ServerHandshake(identity: identity, now: now)
        let hello = try readFrame()
        guard hello.header.type == .hello else { throw RawPeerError("expected hello, got \(hello.header)") }
        send(Self.plainFrame(.welcome, body: try hs.receiveHello(Array(hello.body.readableBytesView)[...])))
        let auth = try readFrame()
        guard auth.header.type == .auth else { throw RawPeerError("expected auth, got \(auth.header)") }
        let (keys, peer) = try hs.receiveAuth(Array(auth.body.readableBytesView)[...])
        try exchangeSettings(keys)
        return peer
    }

    /// Installs the session keys, sends our settings (the first sealed frame) and reads the peer's.
    private func exchangeSettings(
        _ keys: SessionKeys, _ settings: SettingsBody = SettingsBody(maxConcurrentStreams: 16, maxBodyLength: 1 << 20)
    ) throws {
        sealer = keys.makeSealer()
        opener = keys.makeOpener()
        send(try seal(.settings, body: settings.encoded()))
        let settings = try openNext()
        guard settings.0.type == .settings else { throw RawPeerError("expected settings, got \(settings.0)") }
    }

    func seal(_ type: FrameType, body: [UInt8], stream: UInt32 = 0, version: UInt8 = 1, rawType: UInt8? = nil) throws
        -> [UInt8]
    {
        var out = ByteBuffer()
        let header = FrameHeader(version: version, rawType: rawType ?? type.rawValue, flags: 0, streamID: stream)
        try sealer!.seal(header: header, plaintext: ByteBuffer(bytes: body), into: &out)
        return Array(out.readableBytesView)
    }

    func openNext() throws -> (FrameHeader, [UInt8]) {
        let f = try readFrame()
        return (f.header, try open(f))
    }

    /// `openNext` on a thread of its own: for async tests whose next frame needs work on the cooperative pool (a
    /// blocked pool thread would starve it on a 2-core machine when tests run in parallel).
    func awaitNext() async throws -> (FrameHeader, [UInt8]) {
        let peer = UncheckedBox(self)
        return try await onOwnThread { Result { try peer.value.openNext() } }.get()
    }

    /// Opens a sealed frame read with `readFrame`.
    func open(_ frame: Frame) throws -> [UInt8] {
        Array(try opener!.open(frame).readableBytesView)
    }
}

/// Anything with a host and a port (HostPort in the tests).
protocol HostPortLike {
    var host: String { get }
    var port: Int { get }
}

/// Runs blocking socket work on a thread of its own, off the cooperative pool, and returns its result.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}

/// Hands a non-Sendable test object to one other thread that alone uses it until it resumes us.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

struct RawPeerError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
