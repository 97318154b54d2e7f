import MeshTestKit
import MeshWire
import Testing

/// The vector files' loader is MeshTestKit's, shared with the other suites that check proto-spec/vectors.
typealias Vector = SpecVector
typealias VectorFile = SpecVectors

/// The `WireError` a closure threw, or nil if it returned. Any other error is a test failure.
func wireError(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> WireError? {
    do {
        try body()
        return nil
    } catch let error as WireError {
        return error
    } catch {
        Issue.record("threw \(error), not a WireError", sourceLocation: sourceLocation)
        return nil
    }
}
