/// `min(cap, initial · multiplier^steps)` in nanoseconds, without overflow and without a math library.
///
/// Stops multiplying as soon as the cap is reached, so huge `steps` cost nothing once capped.
/// A multiplier at or below 1 is applied at most once (`steps` ≥ 1) since further steps cannot grow it.
func cappedExponential(initial: Int64, multiplier: Double, steps: Int, cap: Int64) -> Int64 {
    let limit = Double(cap)
    var value = Double(max(initial, 0))
    var remaining = max(steps, 0)
    while remaining > 0 && value < limit {
        value *= multiplier
        remaining -= 1
        if multiplier <= 1 { break }
    }
    return value >= limit ? cap : Int64(value)
}
