import MeshTransport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns seed `HOST:PORT`s into membership addresses: numeric hosts as given, DNS names into every address
/// `getaddrinfo` returns (TCP), deduplicated, in a stable order. A name that does not resolve yields nothing
/// (the caller resolves again later).
public enum SeedResolver {
    public static func resolve(_ seeds: [HostPort]) -> [String] {
        var out: [String] = []
        for seed in seeds {
            for host in addresses(of: seed.host) {
                let address = HostPort(host: host, port: seed.port).description
                if !out.contains(address) { out.append(address) }
            }
        }
        return out
    }

    /// True when `host` is an IPv4 or IPv6 literal (no lookup needed).
    public static func isNumeric(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    private static func addresses(of host: String) -> [String] {
        if isNumeric(host) { return [host] }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var out: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(
                info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0,
                NI_NUMERICHOST) == 0
            {
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !out.contains(text) { out.append(text) }
            }
            cursor = info.pointee.ai_next
        }
        return out
    }
}
