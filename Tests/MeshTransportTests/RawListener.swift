import Glibc

/// A listening loopback socket for a `RawPeer` playing the server, so a real client meets a scripted peer.
/// `accept` blocks (up to 5 s), so run it with `onOwnThread`.
final class RawListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawPeerError("socket() failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw RawPeerError("bind/listen on 127.0.0.1 failed: errno \(errno)")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))  // bounds accept()
    }

    deinit { close(fd) }

    /// Waits for one connection.
    func accept() throws -> RawPeer {
        let connected = Glibc.accept(fd, nil, nil)
        guard connected >= 0 else { throw RawPeerError("accept() failed: errno \(errno)") }
        return RawPeer(connected: connected)
    }
}
