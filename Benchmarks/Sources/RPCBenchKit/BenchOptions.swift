/// The parsed command line of `rpcbench`.
public enum BenchCommand: Hashable, Sendable {
    /// Run the benchmark matrix and print the report.
    case run(BenchOptions)
    /// Child-process mode: serve target `target` on 127.0.0.1:`port` (0 = any), print `LISTENING <port>`.
    case serve(target: String, port: Int)
    case help

    public static let usage = """
        usage: rpcbench [--seconds S] [--warmup S] [--payloads 64,4096] [--concurrency 1,16,64,256]
                        [--targets grpc,nio,nio-async,mesh,mesh-loop,mesh-future]
               rpcbench serve-grpc PORT | serve-nio PORT | serve-mesh PORT
        """

    /// Parses `arguments` (without the program name).
    public static func parse(_ arguments: [String]) throws(BenchError) -> BenchCommand {
        if let first = arguments.first, first.hasPrefix("serve-") {
            guard arguments.count == 2, let port = Int(arguments[1]), (0...65_535).contains(port) else {
                throw BenchError(.usage, "\(first) takes one port number (0 = any)")
            }
            return .serve(target: String(first.dropFirst("serve-".count)), port: port)
        }
        var options = BenchOptions()
        var index = 0
        while index < arguments.count {
            let flag = arguments[index]
            if flag == "-h" || flag == "--help" { return .help }
            guard index + 1 < arguments.count else { throw BenchError(.usage, "\(flag) needs a value") }
            let value = arguments[index + 1]
            switch flag {
            case "--seconds": options.seconds = try positiveSeconds(value, flag: flag)
            case "--warmup": options.warmUpSeconds = try positiveSeconds(value, flag: flag, allowZero: true)
            case "--payloads": options.payloadSizes = try positiveInts(value, flag: flag)
            case "--concurrency": options.concurrencies = try positiveInts(value, flag: flag)
            case "--targets": options.targets = value.split(separator: ",").map(String.init)
            default: throw BenchError(.usage, "unknown flag \(flag)")
            }
            index += 2
        }
        if options.targets.isEmpty { throw BenchError(.usage, "--targets is empty") }
        return .run(options)
    }

    private static func positiveSeconds(
        _ text: String, flag: String, allowZero: Bool = false
    ) throws(BenchError) -> Double {
        guard let value = Double(text), value.isFinite, value > 0 || (allowZero && value == 0) else {
            throw BenchError(.usage, "\(flag) wants a positive number of seconds, got \(text)")
        }
        return value
    }

    private static func positiveInts(_ text: String, flag: String) throws(BenchError) -> [Int] {
        let parts = text.split(separator: ",")
        let values = parts.compactMap { Int($0) }.filter { $0 > 0 }
        guard !parts.isEmpty, values.count == parts.count else {
            throw BenchError(.usage, "\(flag) wants a comma-separated list of positive integers, got \(text)")
        }
        return values
    }
}

/// The matrix one run measures. Defaults: 3 s per cell after 0.5 s warm-up, 64 B and 4 KiB, 1/16/64/256 in flight.
public struct BenchOptions: Hashable, Sendable {
    public var seconds: Double = 3
    public var warmUpSeconds: Double = 0.5
    public var payloadSizes: [Int] = [64, 4096]
    public var concurrencies: [Int] = [1, 16, 64, 256]
    public var targets: [String] = ["grpc", "nio", "nio-async", "mesh", "mesh-loop", "mesh-future"]

    public init() {}

    /// The plan of one cell under these options.
    public func plan(payloadSize: Int, concurrency: Int) -> CellPlan {
        CellPlan(
            payloadSize: payloadSize,
            concurrency: concurrency,
            warmUpNanos: UInt64(warmUpSeconds * 1e9),
            measureNanos: UInt64(seconds * 1e9)
        )
    }
}
