public import ORDPAnalyticsAPI

/// `AggregateState` ⇄ `PartialState`, the mergeable state on the wire: what a gateway merges
/// when several analytics partitions answer one query.
extension AggregateState {
  public var partial: Ordp_Analytics_V1_PartialState {
    var partial = Ordp_Analytics_V1_PartialState()
    partial.count = count
    partial.sum = sum
    partial.min = minimum
    partial.max = maximum
    partial.mean = mean
    partial.m2 = m2
    partial.firstTimeMicros = firstTime
    partial.firstValue = firstValue
    partial.lastTimeMicros = lastTime
    partial.lastValue = lastValue
    var sketchState = Ordp_Analytics_V1_SketchState()
    sketchState.relativeAccuracy = sketch.relativeAccuracy
    for (index, count) in sketch.positive.sorted(by: { $0.key < $1.key }) {
      sketchState.positiveIndexes.append(index)
      sketchState.positiveCounts.append(count)
    }
    for (index, count) in sketch.negative.sorted(by: { $0.key < $1.key }) {
      sketchState.negativeIndexes.append(index)
      sketchState.negativeCounts.append(count)
    }
    sketchState.zeroCount = sketch.zeroCount
    partial.sketch = sketchState
    return partial
  }

  public struct InvalidPartial: Error, CustomStringConvertible {
    public var description: String
  }

  /// Restores a state from a partition's answer (checked: a gateway must not trust it blindly).
  /// Its sketch must have `expectedAccuracy` (states of different accuracy cannot merge).
  public init(
    partial: Ordp_Analytics_V1_PartialState, expectedAccuracy: Double = 0.01
  ) throws(InvalidPartial) {
    let sketchState = partial.sketch
    let accuracy = sketchState.relativeAccuracy
    guard accuracy > 0, accuracy < 1 else {
      throw InvalidPartial(description: "sketch.relative_accuracy must be within (0, 1)")
    }
    guard accuracy == expectedAccuracy else {
      throw InvalidPartial(
        description: "sketch.relative_accuracy \(accuracy) differs from \(expectedAccuracy)")
    }
    guard sketchState.positiveIndexes.count == sketchState.positiveCounts.count,
      sketchState.negativeIndexes.count == sketchState.negativeCounts.count
    else { throw InvalidPartial(description: "sketch indexes and counts differ in length") }
    var total = sketchState.zeroCount
    for count in sketchState.positiveCounts + sketchState.negativeCounts {
      let (sum, overflow) = total.addingReportingOverflow(count)
      guard !overflow else { throw InvalidPartial(description: "sketch counts overflow") }
      total = sum
    }
    let sketch = QuantileSketch(
      relativeAccuracy: accuracy,
      positive: Dictionary(
        zip(sketchState.positiveIndexes, sketchState.positiveCounts), uniquingKeysWith: &+),
      negative: Dictionary(
        zip(sketchState.negativeIndexes, sketchState.negativeCounts), uniquingKeysWith: &+),
      zeroCount: sketchState.zeroCount)
    guard sketch.count == partial.count else {
      throw InvalidPartial(
        description: "sketch holds \(sketch.count) values, count says \(partial.count)")
    }
    self.init(relativeAccuracy: accuracy)
    count = partial.count
    sum = partial.sum
    minimum = partial.count > 0 ? partial.min : .infinity
    maximum = partial.count > 0 ? partial.max : -.infinity
    mean = partial.mean
    m2 = partial.m2
    firstTime = partial.count > 0 ? partial.firstTimeMicros : .max
    firstValue = partial.firstValue
    lastTime = partial.count > 0 ? partial.lastTimeMicros : .min
    lastValue = partial.lastValue
    self.sketch = sketch
  }

  /// The value of an aggregate function; NaN where undefined (no values, stddev of one).
  public func value(of function: Ordp_Analytics_V1_AggregateFunction) -> Double {
    guard count > 0 else { return function == .count ? 0 : .nan }
    switch function {
    case .count: return Double(count)
    case .sum: return sum
    case .min: return minimum
    case .max: return maximum
    case .avg: return sum / Double(count)
    case .first: return firstValue
    case .last: return lastValue
    case .stddev: return standardDeviation ?? .nan
    case .p50: return quantile(0.5)
    case .p90: return quantile(0.9)
    case .p95: return quantile(0.95)
    case .p99: return quantile(0.99)
    case .unspecified, .UNRECOGNIZED: return .nan
    }
  }

  /// The sketch's quantile, clamped to the exact minimum and maximum: a bucket's value may lie
  /// up to α beyond the extreme values, the true quantile never does.
  public func quantile(_ q: Double) -> Double {
    guard let value = sketch.quantile(q) else { return .nan }
    return Swift.min(maximum, Swift.max(minimum, value))
  }
}
