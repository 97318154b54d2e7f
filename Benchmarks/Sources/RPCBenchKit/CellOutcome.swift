/// What one (target × payload × in-flight) cell produced.
public struct CellOutcome: Hashable, Sendable {
    public enum Result: Hashable, Sendable {
        case measured(CellStats)
        /// The target is not wired up in this build; the row shows "n/a".
        case unavailable
        case failed(BenchError)
    }

    public var target: String
    public var payloadSize: Int
    public var concurrency: Int
    public var result: Result

    public init(target: String, payloadSize: Int, concurrency: Int, result: Result) {
        self.target = target
        self.payloadSize = payloadSize
        self.concurrency = concurrency
        self.result = result
    }

    public var stats: CellStats? {
        if case .measured(let stats) = result { return stats }
        return nil
    }
}
