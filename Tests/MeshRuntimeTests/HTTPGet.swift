import Foundation
import MeshTransport

#if canImport(Glibc)
import Glibc
#endif

/// A plain HTTP/1.1 GET over a real TCP socket (loopback), enough to check status codes and bodies.
struct HTTPGet {
    var status: Int
    var headers: [String: String]
    var body: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends `GET path` to `address` (an IPv4 literal) with `Connection: close` and reads the whole response.
    /// Runs the blocking socket calls off the cooperative pool.
    static func fetch(_ path: String, from address: HostPort, timeoutSeconds: Int = 5) async throws -> HTTPGet {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result { try fetchBlocking(path, from: address, timeoutSeconds: timeoutSeconds) })
            }
        }
    }

    static func fetchBlocking(_ path: String, from address: HostPort, timeoutSeconds: Int) throws -> HTTPGet {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(address.port).bigEndian)
        guard inet_pton(AF_INET, address.host, &sin.sin_addr) == 1 else {
            throw Failure(description: "\(address.host) is not an IPv4 literal")
        }
        let connected = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure(description: "connect \(address): errno \(errno)") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(address)\r\nConnection: close\r\n\r\n".utf8)
        guard send(fd, request, request.count, 0) == request.count else { throw Failure(description: "short send") }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n > 0 {
                response += chunk[0..<n]
            } else if n == 0 {
                break
            } else {
                throw Failure(description: "recv: errno \(errno)")
            }
        }
        return try parse(response)
    }

    /// Parses a response with a Content-Length or chunked body.
    static func parse(_ bytes: [UInt8]) throws -> HTTPGet {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure(description: "no header end: \(text)") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw Failure(description: "bad status line \(lines[0])")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        var body = String(text[split.upperBound...])
        if headers["transfer-encoding"] == "chunked" {
            var decoded = ""
            var rest = Substring(body)
            while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0
            {
                let start = lineEnd.upperBound
                let utf8 = rest.utf8
                let end = utf8.index(start, offsetBy: size)
                decoded += String(rest[start..<end])
                rest = rest[end...].dropFirst(2)
            }
            body = decoded
        }
        return HTTPGet(status: status, headers: headers, body: body)
    }

    /// The body as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }
}
