import GRPCCore

/// Raw-bytes coding for gRPC: the message is the payload itself (no protobuf), so gRPC is measured on the same
/// bytes as the other targets.
struct RawSerializer: MessageSerializer {
    typealias Message = [UInt8]
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
}

struct RawDeserializer: MessageDeserializer {
    typealias Message = [UInt8]
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
        serializedMessageBytes.withUnsafeBytes { Array($0) }
    }
}

/// `/bench.Echo/Get`: a unary method that returns its request message.
struct EchoService: RegistrableRPCService {
    static let get = MethodDescriptor(fullyQualifiedService: "bench.Echo", method: "Get")

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: Self.get, deserializer: RawDeserializer(), serializer: RawSerializer()
        ) { request, _ in
            let single = try await ServerRequest(stream: request)
            return StreamingServerResponse(single: ServerResponse(message: single.message))
        }
    }
}
